// SWIM probing (with Lifeguard's nacks): each protocol period, ping one member in randomised
// round-robin order; if no ack comes within the probe timeout, ask k members to ping it for us;
// if nothing comes by the end of the period, the probe failed and the host suspects the target.
// This node also relays others' probes, answering nack when the target stays silent so the
// requester can tell its own slowness from the target's. Timing stretches with local health.
import type { Channel } from '../base/types.js';
import type { EngineConfig } from '../config/engine-schema.js';
import type { Addr, MemberRecord, Message } from '../wire/messages.js';
import type { LocalHealth } from './local-health.js';
import { isLivePeer, type MemberEntry, type MemberStore } from './member-table.js';
import { ProbeOrder } from './probe-order.js';
import type { CoreStats, Rng } from './types.js';

/** A relay answers nack when the target stays silent this fraction of the probe timeout. */
const NACK_FRACTION = 0.8;
/**
 * After the target refused the fallback probe's connection, relays still get this fraction of the
 * probe timeout to bring an ack (an asymmetric partition can refuse us and not them).
 */
export const REFUSED_GRACE_FRACTION = 0.2;

export interface ProberHost {
  readonly name: string;
  readonly table: MemberStore;
  readonly health: LocalHealth;
  readonly stats: CoreStats;
  readonly rng: Rng;
  config(): EngineConfig;
  /** Sends messages in one datagram, topped up with rumors. */
  send(to: Addr, messages: Message[]): void;
  /** Sends messages over the stream transport (the TCP fallback probe). */
  sendStream(to: Addr, messages: Message[]): void;
  /** Messages to send along with a ping of `target` (the buddy system's suspicion notice). */
  pingExtras(target: MemberRecord, now: number): Message[];
  acked(target: string, rttMs: number): void;
  /**
   * Nothing answered within the protocol period, directly or through relays. `refused`: the
   * target's host refused the fallback probe, so nothing listens at its address.
   */
  probeFailed(target: string, now: number, refused: boolean): void;
  /** Call tick() at `at` (or later): every deadline of the prober is announced through this. */
  wake(at: number): void;
}

interface OpenProbe {
  target: string;
  seq: number;
  sentAt: number;
  indirectAt: number;
  endAt: number;
  indirectSent: boolean;
  expectedNacks: number;
  nacks: number;
  /** The fallback probe's connection was refused: the probe ends early (fallbackRefused). */
  refused: boolean;
}

interface Relay {
  requesterSeq: number;
  replyTo: Addr;
  nackAt: number;
  expiresAt: number;
  nacked: boolean;
}

export class Prober {
  private nextProbeAt: number;
  private probe: OpenProbe | null = null;
  private readonly relays = new Map<number, Relay>();
  private readonly order: ProbeOrder;
  private seq = 0;
  private stopped = false;
  /**
   * A member to probe next, ahead of the round-robin order (probeSoon). One slot: a second hint before
   * the probe starts replaces the first, whose member is then probed in its turn as before. One agent
   * runs per Kubernetes node, so two members closing our connections at the same moment is rare.
   */
  private hinted: string | null = null;
  private lastStartAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly host: ProberHost,
    now: number,
  ) {
    this.order = new ProbeOrder(host.rng);
    // A random phase, so that nodes started together do not probe in lockstep.
    this.nextProbeAt = now + host.rng.next() * host.config().probeIntervalMs;
    host.wake(this.nextProbeAt);
  }

  nextDeadline(): number {
    let next = this.nextProbeAt;
    const p = this.probe;
    if (p) next = Math.min(next, p.indirectSent ? p.endAt : p.indirectAt);
    for (const r of this.relays.values()) next = Math.min(next, r.nacked ? r.expiresAt : r.nackAt);
    return next;
  }

  tick(now: number): void {
    const p = this.probe;
    if (p && !p.indirectSent && now >= p.indirectAt) this.sendIndirect(p);
    if (p && now >= p.endAt) this.fail(p, now);
    if (now >= this.nextProbeAt) this.start(now);
    for (const [seq, r] of this.relays) {
      if (!r.nacked && now >= r.nackAt) {
        r.nacked = true;
        this.host.stats.nacksSent++;
        this.host.send(r.replyTo, [{ t: 'nack', seq: r.requesterSeq }]);
      }
      if (now >= r.expiresAt) this.relays.delete(seq);
    }
  }

  /** Leaving: no more probes of our own (we still relay for others until we are gone). */
  stop(): void {
    this.stopped = true;
    this.probe = null;
    this.hinted = null;
    this.nextProbeAt = Number.POSITIVE_INFINITY;
  }

  /** A shorter probe interval (hot reload) takes effect now rather than after the old wait. */
  reschedule(now: number): void {
    if (this.stopped) return;
    this.nextProbeAt = Math.min(
      this.nextProbeAt,
      now + this.host.health.scale(this.host.config().probeIntervalMs),
    );
    this.host.wake(this.nextProbeAt);
  }

  /**
   * A ping for `target` arrived. The name guards against acking for a node that used to have this
   * address; a leaving node stays silent. A fallback probe came by stream because datagrams did not
   * get through: it is answered the same way.
   */
  answerPing(seq: number, target: string, from: Addr, channel: Channel): void {
    if (target !== this.host.name || this.stopped) return;
    if (channel === 'stream') this.host.sendStream(from, [{ t: 'ack', seq }]);
    else this.host.send(from, [{ t: 'ack', seq }]);
  }

  onAck(seq: number, now: number): void {
    const p = this.probe;
    if (p && p.seq === seq) {
      this.probe = null;
      this.host.health.apply(-1);
      this.host.acked(p.target, now - p.sentAt);
      return;
    }
    const relay = this.relays.get(seq);
    if (relay) {
      this.relays.delete(seq);
      this.host.send(relay.replyTo, [{ t: 'ack', seq: relay.requesterSeq }]);
    }
  }

  onNack(seq: number): void {
    if (this.probe && this.probe.seq === seq) {
      this.probe.nacks++;
      this.host.stats.nacksReceived++;
    }
  }

  /**
   * The target's stream port refused the fallback probe: nothing listens there, so its process is
   * gone while its host is up (crashed, killed, restarting). Rather than wait out the protocol
   * period, the probe fails after a short grace for the relays. A frozen process does not refuse
   * (its kernel still accepts connections), so this only speeds up real deaths.
   */
  fallbackRefused(addr: Addr, now: number): void {
    const p = this.probe;
    if (!p?.indirectSent || p.refused) return;
    if (this.host.table.get(p.target)?.record.addr !== addr) return;
    p.refused = true;
    this.host.stats.fallbackProbesRefused++;
    const grace = this.host.health.scale(this.host.config().probeTimeoutMs) * REFUSED_GRACE_FRACTION;
    p.endAt = Math.min(p.endAt, now + grace);
    this.host.wake(p.endAt);
  }

  /**
   * The member at `addr` closed the stream connection we held to it: its process may be gone (a
   * killed process's kernel closes its sockets). Probe it next, and soon — at once, unless a probe
   * is open (then when it ends) or one started less than half an interval ago. So a hint, which the
   * peer controls, can never cut an open probe short nor raise the rate above two probes per
   * interval; the round-robin order is left where it was. Returns whether the hint was taken.
   */
  probeSoon(addr: Addr, now: number): boolean {
    if (this.stopped) return false;
    const target = this.liveMemberAt(addr);
    if (target === undefined || target === this.probe?.target) return false;
    this.hinted = target;
    const half = this.host.health.scale(this.host.config().probeIntervalMs) / 2;
    const at = Math.max(now, this.lastStartAt + half, this.probe?.endAt ?? now);
    this.nextProbeAt = Math.min(this.nextProbeAt, at);
    this.host.wake(this.nextProbeAt);
    return true;
  }

  /** Someone asks us to probe `target` for them (ping-req). */
  relay(requesterSeq: number, target: string, targetAddr: Addr, replyTo: Addr, now: number): void {
    const seq = ++this.seq;
    const { health } = this.host;
    const cfg = this.host.config();
    this.relays.set(seq, {
      requesterSeq,
      replyTo,
      nackAt: now + health.scale(cfg.probeTimeoutMs) * NACK_FRACTION,
      expiresAt: now + health.scale(cfg.probeIntervalMs),
      nacked: false,
    });
    const r = this.relays.get(seq)!;
    this.host.wake(r.nackAt);
    this.host.wake(r.expiresAt);
    this.host.send(targetAddr, [{ t: 'ping', seq, target }]);
  }

  private start(now: number): void {
    if (this.probe) this.fail(this.probe, now);
    const { health, stats } = this.host;
    const cfg = this.host.config();
    const interval = health.scale(cfg.probeIntervalMs);
    this.nextProbeAt = now + interval;
    this.lastStartAt = now;
    this.host.wake(this.nextProbeAt);
    const target = this.takeHinted() ?? this.nextTarget();
    if (!target) return;
    const seq = ++this.seq;
    this.probe = {
      target: target.record.name,
      seq,
      sentAt: now,
      indirectAt: now + health.scale(cfg.probeTimeoutMs),
      endAt: now + interval,
      indirectSent: false,
      expectedNacks: 0,
      nacks: 0,
      refused: false,
    };
    this.host.wake(this.probe.indirectAt);
    stats.probesSent++;
    const ping: Message = { t: 'ping', seq, target: target.record.name };
    this.host.send(target.record.addr, [ping, ...this.host.pingExtras(target.record, now)]);
  }

  private takeHinted(): MemberEntry | undefined {
    const name = this.hinted;
    this.hinted = null;
    const e = name === null ? undefined : this.host.table.get(name);
    if (!e || !isLivePeer(e, this.host.name)) return undefined;
    this.host.stats.probesBroughtForward++;
    return e;
  }

  /** The member (alive or suspect, not us) at `addr`; a linear scan, for the rare connection close. */
  private liveMemberAt(addr: Addr): string | undefined {
    for (const e of this.host.table.entries())
      if (e.record.addr === addr && isLivePeer(e, this.host.name)) return e.record.name;
    return undefined;
  }

  private nextTarget(): MemberEntry | undefined {
    const { table, name: self } = this.host;
    const slots = table.slotCount;
    for (let i = 0; i < slots; i++) {
      const name = table.nameAt(this.order.next(slots));
      if (name === undefined || name === self) continue;
      const e = table.get(name);
      if (e && isLivePeer(e, self)) return e;
    }
    return undefined;
  }

  private sendIndirect(p: OpenProbe): void {
    p.indirectSent = true;
    const { table, rng, name: self } = this.host;
    const target = table.get(p.target);
    if (!target) return;
    const relays = table.sample(
      this.host.config().indirectChecks,
      rng,
      (e) => e.record.state === 'alive' && e.record.name !== self && e.record.name !== p.target,
    );
    p.expectedNacks = relays.length;
    for (const r of relays) {
      this.host.stats.indirectProbesSent++;
      this.host.send(r.record.addr, [
        { t: 'ping-req', seq: p.seq, target: p.target, targetAddr: target.record.addr },
      ]);
    }
    // TCP fallback (memberlist): the same ping over the stream transport, in parallel with the
    // relays, so a member that only UDP cannot reach (a filter, heavy datagram loss) is not
    // suspected. Its ack comes back on the stream and ends the probe like any other ack.
    this.host.stats.fallbackProbesSent++;
    this.host.sendStream(target.record.addr, [{ t: 'ping', seq: p.seq, target: p.target }]);
  }

  private fail(p: OpenProbe, now: number): void {
    this.probe = null;
    this.host.stats.probesFailed++;
    // Lifeguard: missing nacks mean *we* may be the slow one; no relays → plain penalty. A refused
    // probe ended before relays could nack, and the refusal came from the target: no penalty.
    if (!p.refused) this.host.health.apply(p.expectedNacks > 0 ? Math.max(0, p.expectedNacks - p.nacks) : 1);
    this.host.probeFailed(p.target, now, p.refused);
  }
}
