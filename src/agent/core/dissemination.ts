// Dissemination: rumor mongering (a transmit-limited queue piggybacked on every datagram, plus a
// gossip round to random peers when rumors are waiting) and direct mail (local updates sent
// straight to peers, acknowledged, retried with backoff).
import type { EngineConfig } from '../config/engine-schema.js';
import type { Addr, Message } from '../wire/messages.js';
import type { Timer } from './deadlines.js';
import { DirectMail, keyOf } from './direct-mail.js';
import type { Membership } from './membership.js';
import { type QueuedRumor, RumorQueue } from './rumor-queue.js';
import type { CoreStats, Rng } from './types.js';

export interface DisseminationHost {
  readonly rng: Rng;
  readonly stats: CoreStats;
  readonly membership: Membership;
  config(): EngineConfig;
  encode(m: Message): Uint8Array;
  /** Sends encoded messages in one datagram, topped up with rumors when `fill` is set. */
  send(to: Addr, messages: Uint8Array[], fill: boolean): number;
  schedule(at: number, timer: Timer): void;
}

export class Dissemination {
  private readonly rumors = new RumorQueue();
  private readonly mail: DirectMail;
  private mailSeq = 0;
  private nextGossipAt: number;
  /**
   * While no rumor waits, no gossip timer is scheduled (an idle node would otherwise wake every
   * gossip interval for nothing): 'parked'. The next rumor schedules it again ('waking'), and the
   * rounds resume on their old beat.
   */
  private gossipTimer: 'running' | 'parked' | 'waking' = 'running';

  constructor(
    private readonly host: DisseminationHost,
    now: number,
  ) {
    const cfg = host.config();
    this.mail = new DirectMail(cfg.directMail);
    // A random phase, so that nodes started together do not gossip in lockstep.
    this.nextGossipAt = now + host.rng.next() * cfg.gossipIntervalMs;
    host.schedule(this.nextGossipAt, { kind: 'gossip' });
  }

  /** When a gossip timer would act (a timer before this is stale: see dispatch.ts timerLive). */
  get gossipDueAt(): number {
    return this.nextGossipAt;
  }

  /** When the mail under `key` is due for a retry; +∞ once acknowledged or dropped. */
  mailDueAt(key: string): number {
    return this.mail.dueAt(key);
  }

  get pendingRumors(): number {
    return this.rumors.size;
  }

  get pendingMail(): number {
    return this.mail.size;
  }

  /** New limits (hot reload); a shorter gossip interval takes effect now. */
  reconfigure(cfg: EngineConfig, now: number): void {
    this.mail.configure(cfg.directMail);
    if (now + cfg.gossipIntervalMs < this.nextGossipAt) {
      this.nextGossipAt = now + cfg.gossipIntervalMs;
      if (this.gossipTimer !== 'parked') this.host.schedule(this.nextGossipAt, { kind: 'gossip' });
    }
  }

  /** News to pass on by rumor mongering. */
  rumor(m: Message): void {
    this.rumors.enqueue(rumorKey(m), m.t, this.host.encode(m));
    this.host.stats.rumorsPruned = this.rumors.pruned;
    this.wakeGossip();
  }

  /** A local update: rumor it, and mail it straight to peers. */
  announce(m: Message, now: number): void {
    const bytes = this.host.encode(m);
    this.rumors.enqueue(rumorKey(m), m.t, bytes);
    this.host.stats.rumorsPruned = this.rumors.pruned;
    this.wakeGossip();
    const dm = this.host.config().directMail;
    if (!dm.enabled) return;
    const { membership } = this.host;
    const peers = membership.table.sample(dm.maxPeers, this.host.rng, (e) => membership.isLivePeer(e));
    if (peers.length === 0) return;
    const id = ++this.mailSeq;
    for (const p of peers) {
      const mail = this.mail.add(id, p.record.name, p.record.addr, [bytes], now);
      this.host.schedule(mail.nextAt, { kind: 'mail', key: keyOf(p.record.name, id) });
      this.syncMailStats();
      this.host.stats.directMailSent++;
      this.host.send(p.record.addr, [this.host.encode({ t: 'mail', id }), bytes], false);
    }
  }

  /** A peer's direct mail arrived (its messages are handled by the node): acknowledge it. */
  onMail(id: number, from: Addr): void {
    this.host.send(from, [this.host.encode({ t: 'mail-ack', id })], false);
  }

  mailAcked(peer: string, id: number): void {
    this.mail.ack(peer, id);
    this.syncMailStats();
  }

  peerGone(name: string): void {
    this.mail.dropPeer(name);
    this.syncMailStats();
  }

  /** The retry timer of one mail fired. */
  retryMail(key: string, now: number): void {
    const m = this.mail.dueOne(key, now);
    if (m) {
      this.host.stats.directMailRetries++;
      this.host.schedule(m.nextAt, { kind: 'mail', key });
      this.host.send(m.addr, [this.host.encode({ t: 'mail', id: m.id }), ...m.messages], false);
    }
    this.syncMailStats();
  }

  /** Rumors that fit in `budget` bytes, for piggybacking on an outgoing packet. */
  fill(budget: number, framedSize: (b: Uint8Array) => number): QueuedRumor[] {
    if (this.rumors.size === 0) return [];
    return this.rumors.take(budget, this.retransmitLimit(), framedSize);
  }

  /** The gossip timer fired: send waiting rumors to a few random peers (and the recently dead). */
  gossip(now: number): void {
    if (now < this.nextGossipAt) return;
    const cfg = this.host.config();
    if (this.gossipTimer === 'waking') {
      // Woken by a rumor after a parked spell: the round is the first beat not before now.
      this.gossipTimer = 'running';
      while (this.nextGossipAt < now) this.nextGossipAt += cfg.gossipIntervalMs;
      if (this.nextGossipAt > now) {
        this.host.schedule(this.nextGossipAt, { kind: 'gossip' });
        return;
      }
    }
    this.nextGossipAt = now + cfg.gossipIntervalMs;
    if (this.rumors.size === 0) {
      this.gossipTimer = 'parked';
      return;
    }
    this.host.schedule(this.nextGossipAt, { kind: 'gossip' });
    const { membership } = this.host;
    const deadWindow = cfg.gossipToTheDeadMs;
    const targets = membership.table.sample(
      cfg.gossipFanout,
      this.host.rng,
      (e) =>
        membership.isLivePeer(e) ||
        (e.record.state === 'dead' && e.record.name !== membership.name && now - e.changedAt < deadWindow),
    );
    for (const t of targets) {
      if (this.rumors.size === 0) break;
      this.host.send(t.record.addr, [], true);
    }
  }

  /** A rumor was queued: a parked gossip timer fires at its next beat (at once if that has passed). */
  private wakeGossip(): void {
    if (this.gossipTimer !== 'parked') return;
    this.gossipTimer = 'waking';
    this.host.schedule(this.nextGossipAt, { kind: 'gossip' });
  }

  private retransmitLimit(): number {
    const n = this.host.membership.liveCount();
    return this.host.config().retransmitMult * Math.max(1, Math.ceil(Math.log10(n + 1)));
  }

  private syncMailStats(): void {
    this.host.stats.directMailDropped = this.mail.counters.dropped;
    this.host.stats.directMailAcked = this.mail.counters.acked;
  }
}

/** Rumors with the same key replace each other (a newer state of the same member or key). */
export function rumorKey(m: Message): string {
  switch (m.t) {
    case 'member':
      return `m:${m.member.name}`;
    case 'kv':
      return `k:${m.entry.key}`;
    case 'user-event':
      return `e:${m.rumor.origin}:${m.generation}:${m.seq}`;
    case 'query':
      return `q:${m.rumor.origin}:${m.generation}:${m.seq}`;
    default:
      throw new Error(`not a rumor: ${m.t}`);
  }
}
