// The sans-IO protocol core: one member of a gossip cluster. Packets and time go in; packets and
// events come out through the injected CoreOutput. No clocks, timers, sockets or Math.random here,
// so the same code runs in agents, deterministic tests and the 10,000-node simulator.
//
// This class is a facade: it wires the concerns together and routes packets and timers to them.
//   membership.ts          member table, view digest, own record, merging records, refutation, reaping
//   suspicions.ts          open suspicions and their Lifeguard timeouts
//   prober.ts              SWIM probing with indirect probes and nacks
//   dissemination.ts       rumor queue, piggybacking, gossip rounds, direct mail
//   packet-io.ts           encode/decode, keyring, replay window, drop accounting
//   anti-entropy-driver.ts exchanges, peer selection, join, partition healing
//   replicated-data.ts     key/value store and user events
//   deadlines.ts           one timer heap for all of the above
import type { Channel } from '../base/types.js';
import type { EngineConfig } from '../config/engine-schema.js';
import type { ReplicatedState } from '../state/anti-entropy-session.js';
import { DigestTree } from '../state/digest-tree.js';
import { parseTreeKey } from '../state/entry-hash.js';
import { ZERO_HASH } from '../state/hash64.js';
import { KvStore } from '../state/kv-store.js';
import type { Keyring } from '../wire/keyring.js';
import { encodedTagBytes } from '../wire/limits-check.js';
import type { Addr, KvEntry, MemberRecord, Message, PacketSender } from '../wire/messages.js';
import { AntiEntropyDriver } from './anti-entropy-driver.js';
import { Deadlines, type Timer } from './deadlines.js';
import { Dissemination } from './dissemination.js';
import { LocalHealth } from './local-health.js';
import { MemberTable } from './member-table.js';
import { localRumor, Membership, memberMessage } from './membership.js';
import { PacketIO } from './packet-io.js';
import { Prober } from './prober.js';
import { relayed } from './record-bounds.js';
import { ReplicatedData } from './replicated-data.js';
import { createSharedView, type SharedView } from './shared-view.js';
import { claimMatchesSource, hostOf, isIpAddr } from './source-check.js';
import { Suspicions } from './suspicions.js';
import { type CoreOutput, type CoreStats, emptyStats, type Rng, type Via } from './types.js';

export { createSharedView, type SharedView };

const MAINTENANCE_MS = 1_000;

export interface GossipNodeInit {
  name: string;
  addr: Addr;
  /** Start stamp of this process (e.g. wall-clock ms at start): a restart under the same name is newer. */
  generation: number;
  config: EngineConfig;
  tags?: Record<string, string>;
  keyring?: Keyring | null;
}

export interface GossipNodeDeps {
  rng: Rng;
  out: CoreOutput;
  /** A snapshot shared by many simulated nodes; real agents start empty. */
  shared?: SharedView;
}

export class GossipNode {
  readonly stats: CoreStats = emptyStats();
  readonly name: string;
  readonly addr: Addr;
  private cfg: EngineConfig;
  private readonly out: CoreOutput;
  private readonly timers = new Deadlines();
  private readonly tree: DigestTree;
  private readonly health: LocalHealth;
  private readonly suspicions: Suspicions;
  private readonly io: PacketIO;
  private readonly membership: Membership;
  private readonly prober: Prober;
  private readonly dissemination: Dissemination;
  private readonly antiEntropy: AntiEntropyDriver;
  private readonly data: ReplicatedData;
  private nextMaintenanceAt: number;

  constructor(init: GossipNodeInit, deps: GossipNodeDeps, now: number) {
    const { rng, shared } = deps;
    const stats = this.stats;
    const config = () => this.cfg;
    const schedule = (at: number, timer: Timer) => this.timers.schedule(at, timer);
    this.out = deps.out;
    const event = this.out;
    this.name = init.name;
    this.addr = init.addr;
    this.cfg = init.config;
    checkTags(init.tags ?? {}, this.cfg.maxTagBytes);
    this.tree = shared ? shared.tree.fork() : new DigestTree();
    this.health = new LocalHealth(this.cfg.awarenessMaxMultiplier);
    this.suspicions = new Suspicions((at, name) => schedule(at, { kind: 'suspicion', name }));
    this.io = new PacketIO(
      {
        stats,
        cluster: () => this.cfg.cluster,
        maxPacketBytes: () => this.cfg.maxPacketBytes,
        sender: () => ({ name: this.name, generation: this.membership.generation, addr: this.addr }),
        fill: (budget, framedSize) => this.dissemination.fill(budget, framedSize),
        transmit: (to, bytes, channel) => this.out.send(to, bytes, channel),
      },
      init.keyring ?? null,
    );
    this.membership = new Membership(
      { name: init.name, addr: init.addr, generation: init.generation, tags: init.tags ?? {} },
      {
        tree: this.tree,
        suspicions: this.suspicions,
        health: this.health,
        stats,
        config,
        event: (e) => event.event(e),
        rumor: (m) => this.dissemination.rumor(m),
        announce: (m, at) => this.dissemination.announce(m, at),
        peerGone: (name) => this.dissemination.peerGone(name),
        reaped: (name) => this.io.forget(name),
        badRecord: () => this.io.drop('bad-record'),
      },
      new MemberTable(shared?.members ?? null),
      shared?.viewHash ?? ZERO_HASH,
      now,
    );
    const membership = this.membership;
    this.prober = new Prober(
      {
        name: this.name,
        table: membership.table,
        health: this.health,
        stats,
        rng,
        config,
        send: (to, messages) => this.sendDatagram(to, messages, true),
        sendStream: (to, messages) => this.sendStream(to, messages),
        // Buddy system (Lifeguard): tell a suspect it is suspected so it can refute at once.
        pingExtras: (target, at) =>
          target.state === 'suspect' ? [memberMessage(target, this.name, localRumor(this.name, at))] : [],
        acked: (target, ms) => event.event({ type: 'probe-rtt', target, ms }),
        probeFailed: (target, at) => membership.probeFailed(target, at),
        wake: (at) => schedule(at, { kind: 'probe' }),
      },
      now,
    );
    this.dissemination = new Dissemination(
      {
        rng,
        stats,
        membership,
        config,
        encode: (m) => this.io.encode(m),
        send: (to, messages, fill) => this.io.send(to, messages, 'datagram', fill),
        schedule,
      },
      now,
    );
    this.data = new ReplicatedData(
      {
        name: this.name,
        tree: this.tree,
        config,
        generation: () => membership.generation,
        event: (e) => event.event(e),
        rumor: (m) => this.dissemination.rumor(m),
        announce: (m, at) => this.dissemination.announce(m, at),
        badRecord: () => this.io.drop('bad-record'),
      },
      shared
        ? shared.kv.fork({ tombstoneTtlMs: this.cfg.tombstoneTtlMs })
        : new KvStore({ tombstoneTtlMs: this.cfg.tombstoneTtlMs }),
    );
    this.antiEntropy = new AntiEntropyDriver(
      {
        rng,
        stats,
        membership,
        config,
        event: (e) => event.event(e),
        send: (to, messages) => this.send(to, messages, 'stream', false),
        schedule,
      },
      this.replicatedState(),
      now,
    );
    this.nextMaintenanceAt = now + MAINTENANCE_MS;
    schedule(this.nextMaintenanceAt, { kind: 'maintain' });
  }

  // ───────────────────────────── public API ─────────────────────────────

  get generation(): number {
    return this.membership.generation;
  }

  self(): MemberRecord {
    return this.membership.self();
  }

  member(name: string): MemberRecord | undefined {
    return this.membership.get(name)?.record;
  }

  members(): MemberRecord[] {
    return [...this.membership.table.entries()].map((e) => e.record);
  }

  counts(): Readonly<Record<MemberRecord['state'], number>> {
    return this.membership.counts();
  }

  /** Lifeguard local health score: 0 is healthy; probe timing is stretched by (score + 1). */
  healthScore(): number {
    return this.health.score;
  }

  /** A digest of this node's membership view: equal on two nodes ⇔ (almost surely) equal views. */
  viewDigest(): string {
    return this.membership.viewDigest();
  }

  pendingRumors(): number {
    return this.dissemination.pendingRumors;
  }

  pendingMail(): number {
    return this.dissemination.pendingMail;
  }

  isLeaving(): boolean {
    return this.membership.leaving;
  }

  kvGet(key: string): Uint8Array | undefined {
    return this.data.get(key)?.value ?? undefined;
  }

  /** Live key/value entries (no tombstones) whose key starts with `prefix`, in key order (`kv list`). */
  kvList(prefix = ''): KvEntry[] {
    const out = [...this.data.kv.entries()].filter((e) => e.value !== null && e.key.startsWith(prefix));
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  join(seeds: Addr[], now: number): void {
    this.antiEntropy.join(seeds, now);
  }

  /** Graceful leave: announce `left` (final, unlike `dead`), stop probing, keep gossiping it out. */
  leave(now: number): void {
    if (this.membership.leaving) return;
    this.prober.stop();
    this.membership.leave(now);
  }

  setTags(tags: Record<string, string>, now: number): void {
    checkTags(tags, this.cfg.maxTagBytes);
    this.membership.setTags(tags, now);
  }

  fireEvent(name: string, payload: Uint8Array, now: number): void {
    this.data.fireEvent(name, payload, now);
  }

  kvPut(key: string, value: Uint8Array, now: number): KvEntry {
    return this.data.put(key, value, now);
  }

  kvDelete(key: string, now: number): KvEntry {
    return this.data.delete(key, now);
  }

  /** Starts one anti-entropy exchange now (with `peer`, or one chosen by the configured policy). */
  startAntiEntropy(now: number, peer?: Addr): void {
    this.antiEntropy.start(now, peer);
  }

  /** The transport could not deliver a stream packet to `to`: its anti-entropy sessions abort. */
  sendFailed(to: Addr, channel: Channel): void {
    if (channel === 'stream') this.antiEntropy.sendFailed(to);
  }

  /**
   * Writes a key/value entry into local state without telling anyone, as if a rumor had been lost.
   * The simulator and tests use it to inject divergence for anti-entropy to repair.
   */
  injectDivergentKv(entry: KvEntry, now: number): boolean {
    return this.data.apply(entry, null, 'local', now, false);
  }

  /**
   * Applies new tunables without a restart (hot reload). The cluster name cannot change live: it
   * is part of every packet, and a node switching alone would cut itself off.
   */
  reconfigure(config: EngineConfig, now: number): void {
    if (config.cluster !== this.cfg.cluster) {
      throw new RangeError(
        `cluster cannot change without a restart (${this.cfg.cluster} → ${config.cluster})`,
      );
    }
    this.cfg = config;
    this.health.setMax(config.awarenessMaxMultiplier);
    this.data.reconfigure(config);
    // Shorter periods take effect now rather than after the old, longer wait.
    this.prober.reschedule(now);
    this.dissemination.reconfigure(config, now);
    this.antiEntropy.reconfigure(config, now);
  }

  /**
   * Replaces the keyring (key rotation without restart). Rotate in three steps across the cluster:
   * add the new key as a secondary everywhere, make it primary everywhere, then remove the old key.
   * Turning encryption on or off this way splits the cluster until every node has done the same.
   */
  setKeyring(keyring: Keyring | null): void {
    this.io.setKeyring(keyring);
  }

  // ───────────────────────────── driving ─────────────────────────────

  nextDeadline(): number {
    return this.timers.next();
  }

  tick(now: number): void {
    for (let t = this.timers.popDue(now); t; t = this.timers.popDue(now)) this.fire(t, now);
  }

  /**
   * One packet from the transport, sent from `from`. Datagrams are answered at `from`; a stream's
   * source port is ephemeral, so stream answers go to the address inside the packet, which without a
   * keyring must be on the stream's source host (see source-check.ts).
   */
  receive(from: Addr, bytes: Uint8Array, channel: Channel, now: number): void {
    const inbound = this.io.decode(bytes, channel);
    if (!inbound) return;
    const { sender, messages } = inbound;
    if (channel === 'stream' && !this.io.encrypted && !claimMatchesSource(sender.addr, from)) {
      this.io.drop('unverified-addr');
      return;
    }
    const via: Via = messages[0]?.t === 'mail' ? 'mail' : 'rumor';
    let antiEntropy = false;
    for (const m of messages) {
      if (m.t.startsWith('ae-')) antiEntropy = true;
      else this.handle(m, sender, via, channel, channel === 'datagram' ? from : sender.addr, now);
    }
    // Anti-entropy runs on streams only; a datagram carrying ae-* (forged) could aim a stream answer.
    if (antiEntropy && channel === 'stream') this.antiEntropy.onPacket(messages, sender, bytes.length, now);
  }

  private fire(t: Timer, now: number): void {
    switch (t.kind) {
      case 'probe':
        this.prober.tick(now);
        return;
      case 'gossip':
        this.dissemination.gossip(now);
        return;
      case 'suspicion':
        this.membership.suspicionExpired(t.name, now);
        return;
      case 'mail':
        this.dissemination.retryMail(t.key, now);
        return;
      case 'anti-entropy':
        this.antiEntropy.onTimer(now);
        return;
      case 'reconnect':
        this.antiEntropy.reconnect(now);
        return;
      case 'maintain':
        if (now < this.nextMaintenanceAt) return;
        this.nextMaintenanceAt = now + MAINTENANCE_MS;
        this.timers.schedule(this.nextMaintenanceAt, { kind: 'maintain' });
        this.membership.reap(now);
        this.data.expire(now);
        this.antiEntropy.expire(now);
        return;
    }
  }

  /** `replyTo`: a datagram's source address, or the stream sender's (checked) address. */
  private handle(
    m: Message,
    sender: PacketSender,
    via: Via,
    channel: Channel,
    replyTo: Addr,
    now: number,
  ): void {
    switch (m.t) {
      case 'ping':
        // The target name guards against acking for a node that used to have this address.
        if (m.target !== this.name || this.membership.leaving) return;
        // A fallback probe came by stream because datagrams did not get through: answer the same way.
        if (channel === 'stream') this.sendStream(replyTo, [{ t: 'ack', seq: m.seq }]);
        else this.sendDatagram(replyTo, [{ t: 'ack', seq: m.seq }], true);
        return;
      case 'ping-req':
        // Without a keyring, probe only a member we know at that address (no probes aimed elsewhere).
        if (!this.io.encrypted && this.membership.get(m.target)?.record.addr !== m.targetAddr) {
          this.io.drop('unverified-addr');
          return;
        }
        this.prober.relay(m.seq, m.target, m.targetAddr, replyTo, now);
        return;
      case 'ack':
        this.prober.onAck(m.seq, now);
        return;
      case 'nack':
        this.prober.onNack(m.seq);
        return;
      case 'member':
        if (!this.memberAddrAllowed(m.member, sender.name, replyTo)) return;
        this.membership.apply(m.member, m.from, via, relayed(m.rumor), now);
        return;
      case 'user-event':
        this.data.onUserEvent(m, via, now);
        return;
      case 'kv':
        this.data.apply(m.entry, relayed(m.rumor), via, now, true);
        return;
      case 'mail':
        this.sendDatagram(replyTo, [{ t: 'mail-ack', id: m.id }], false);
        return;
      case 'mail-ack':
        this.dissemination.mailAcked(sender.name, m.id);
        return;
      default:
        return;
    }
  }

  private sendStream(to: Addr, messages: Message[]): void {
    this.send(to, messages, 'stream', false);
  }

  private sendDatagram(to: Addr, messages: Message[], fill: boolean): void {
    this.send(to, messages, 'datagram', fill);
  }

  private send(to: Addr, messages: Message[], channel: Channel, fill: boolean): number {
    return this.io.send(
      to,
      messages.map((m) => this.io.encode(m)),
      channel,
      fill,
    );
  }

  /**
   * Without a keyring, a record's address must be an IP literal (a name from a packet is never
   * resolved), and a record about the sender itself must name the host it sends from (`source`,
   * when known). Refusals are dropped and counted.
   */
  private memberAddrAllowed(r: MemberRecord, sender: string, source: Addr | undefined): boolean {
    // An unparsable address is the record check's to count (bad-record), in Membership.
    if (this.io.encrypted || hostOf(r.addr) === null) return true;
    const ok =
      isIpAddr(r.addr) && (r.name !== sender || source === undefined || claimMatchesSource(r.addr, source));
    if (!ok) this.io.drop('unverified-addr');
    return ok;
  }

  /** What anti-entropy sees of this node: the digest tree and the records under its keys. */
  private replicatedState(): ReplicatedState {
    return {
      tree: this.tree,
      recordFor: (treeKey) => {
        const key = parseTreeKey(treeKey);
        if (key?.kind === 'member') {
          const e = this.membership.get(key.name);
          return e ? { kind: 'member', member: e.record } : undefined;
        }
        const entry = key && this.data.get(key.key);
        return entry ? { kind: 'kv', entry } : undefined;
      },
      apply: (members, kv, now) => {
        let changed = 0;
        const from = this.antiEntropy.applyingFrom;
        for (const rec of members) {
          if (!this.memberAddrAllowed(rec, from ?? '', undefined)) continue;
          if (this.membership.apply(rec, from ?? rec.name, 'anti-entropy', null, now)) changed++;
        }
        for (const e of kv) if (this.data.apply(e, null, 'anti-entropy', now, false)) changed++;
        return changed;
      },
    };
  }
}

function checkTags(tags: Record<string, string>, max: number): void {
  const size = encodedTagBytes(tags);
  if (size > max) throw new RangeError(`tags take ${size} bytes; the limit (maxTagBytes) is ${max}`);
}
