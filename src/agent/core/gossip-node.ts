// The sans-IO protocol core: one member of a gossip cluster. Packets and time go in; packets and
// events come out through the injected CoreOutput. No clocks, timers, sockets or Math.random here,
// so the same code runs in agents, deterministic tests and the 10,000-node simulator.
import type { EngineConfig } from '../config/engine-schema.js';
import { AntiEntropy, type ReplicatedState } from '../state/anti-entropy-session.js';
import { DigestTree } from '../state/digest-tree.js';
import { hashKvEntry, hashMemberRecord, kvKey, memberKey, parseTreeKey } from '../state/entry-hash.js';
import { EventDedupe } from '../state/event-dedupe.js';
import { hashId, xorHash, ZERO_HASH } from '../state/hash64.js';
import { KvStore } from '../state/kv-store.js';
import { compareMemberVersion } from '../state/member-merge.js';
import type { Channel } from '../transport/transport.js';
import type { Keyring } from '../wire/keyring.js';
import { encodeMessage } from '../wire/message-codec.js';
import type {
  Addr,
  Hash64,
  KvEntry,
  MemberRecord,
  Message,
  PacketSender,
  RumorMeta,
} from '../wire/messages.js';
import { decodePacket, encodePacket, framedSize, packetOverhead } from '../wire/packet-codec.js';
import { ReplayWindow } from '../wire/replay-window.js';
import { DirectMail } from './direct-mail.js';
import { LocalHealth } from './local-health.js';
import { type MemberEntry, MemberTable } from './member-table.js';
import { Prober, type ProberHost } from './prober.js';
import { RumorQueue } from './rumor-queue.js';
import { createSharedView, type SharedView } from './shared-view.js';
import { Suspicion, suspicionTimeouts } from './suspicion.js';
import { type CoreOutput, type CoreStats, type DropReason, emptyStats, type Rng, type Via } from './types.js';
import { viewEntryHash } from './view-hash.js';

export { createSharedView, type SharedView };

/** Stream packets (anti-entropy) may be far larger than a datagram. */
const MAX_STREAM_PACKET_BYTES = 16 * 1024 * 1024;
const MAINTENANCE_MS = 1_000;
/** Seeds contacted by one join() call. */
const JOIN_CONTACTS = 3;

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
  readonly generation: number;
  private cfg: EngineConfig;
  private keyring: Keyring | null;
  private readonly rng: Rng;
  private readonly out: CoreOutput;

  private readonly table: MemberTable;
  private readonly tree: DigestTree;
  private readonly kv: KvStore;
  private readonly events: EventDedupe;
  private readonly rumors = new RumorQueue();
  private readonly mail: DirectMail;
  private readonly health: LocalHealth;
  private readonly prober: Prober;
  private readonly suspicions = new Map<string, Suspicion>();
  /** Dead and left members, so reaping and gossip-to-the-dead never scan the whole view. */
  private readonly mortals = new Set<string>();
  private replay: ReplayWindow | null;
  private readonly ae: AntiEntropy;
  /** Bytes sent and received per open anti-entropy session, for its completion event. */
  private readonly aeBytes = new Map<string, number>();
  /** Name of the peer whose anti-entropy records are being applied (see applyMember). */
  private aePeerName: string | undefined;
  private aeSession = 0;
  private viewHash: Hash64;

  private incarnation = 0;
  private leaving = false;
  /** Set by join(): announce ourselves once the first exchange has taught us who the peers are. */
  private announceOnJoin = false;
  private tags: Record<string, string>;
  private seeds: Addr[] = [];
  private packetSeq = 0;
  private mailSeq = 0;
  private eventSeq = 0;
  private nextGossipAt: number;
  private nextAntiEntropyAt: number;
  private nextReconnectAt: number;
  private nextMaintenanceAt: number;
  /** Packet header bytes, computed once with a worst-case sequence number. */
  private readonly overhead: number;

  constructor(init: GossipNodeInit, deps: GossipNodeDeps, now: number) {
    this.name = init.name;
    this.addr = init.addr;
    this.generation = init.generation;
    this.cfg = init.config;
    this.keyring = init.keyring ?? null;
    this.rng = deps.rng;
    this.out = deps.out;
    this.tags = { ...(init.tags ?? {}) };
    this.checkTags(this.tags);
    this.table = new MemberTable(deps.shared?.members ?? null);
    this.tree = deps.shared ? deps.shared.tree.fork() : new DigestTree();
    this.viewHash = deps.shared?.viewHash ?? ZERO_HASH;
    this.kv = deps.shared
      ? deps.shared.kv.fork({ tombstoneTtlMs: this.cfg.tombstoneTtlMs })
      : new KvStore({ tombstoneTtlMs: this.cfg.tombstoneTtlMs });
    this.events = new EventDedupe({ forgetAfterMs: this.cfg.deadReapMs, maxOrigins: 100_000 });
    this.mail = new DirectMail(this.cfg.directMail);
    this.health = new LocalHealth(this.cfg.awarenessMaxMultiplier);
    this.replay = this.keyring ? new ReplayWindow() : null;
    this.ae = new AntiEntropy(this.replicatedState(), { timeoutMs: 10 * this.cfg.probeIntervalMs + 5_000 });
    this.overhead = packetOverhead(
      this.cfg.cluster,
      { name: this.name, generation: this.generation, addr: this.addr, seq: 2 ** 40 },
      this.keyring,
    );
    this.putMember(
      {
        name: this.name,
        addr: this.addr,
        generation: this.generation,
        incarnation: 0,
        state: 'alive',
        tags: this.tags,
      },
      now,
    );
    // Random phases so that nodes started together do not probe and gossip in lockstep.
    this.prober = new Prober(this.proberHost(), now);
    this.nextGossipAt = now + this.rng.next() * this.cfg.gossipIntervalMs;
    this.nextAntiEntropyAt = now + (0.5 + this.rng.next()) * this.cfg.antiEntropy.intervalMs;
    this.nextReconnectAt = now + this.cfg.reconnectIntervalMs;
    this.nextMaintenanceAt = now + MAINTENANCE_MS;
  }

  // ───────────────────────────── public API ─────────────────────────────

  self(): MemberRecord {
    return this.table.get(this.name)!.record;
  }

  member(name: string): MemberRecord | undefined {
    return this.table.get(name)?.record;
  }

  members(): MemberRecord[] {
    return [...this.table.entries()].map((e) => e.record);
  }

  counts(): Readonly<Record<MemberRecord['state'], number>> {
    return this.table.counts;
  }

  /** Lifeguard local health score: 0 is healthy; probe timing is stretched by (score + 1). */
  healthScore(): number {
    return this.health.score;
  }

  /** A digest of this node's membership view: equal on two nodes ⇔ (almost surely) equal views. */
  viewDigest(): string {
    return hashId(this.viewHash);
  }

  pendingRumors(): number {
    return this.rumors.size;
  }

  pendingMail(): number {
    return this.mail.size;
  }

  isLeaving(): boolean {
    return this.leaving;
  }

  kvGet(key: string): Uint8Array | undefined {
    return this.kv.get(key)?.value ?? undefined;
  }

  /**
   * Joins through seeds: a push-pull exchange with up to JOIN_CONTACTS of them at random (a DNS
   * answer may list hundreds); all are remembered for partition healing (see reconnect).
   */
  join(seeds: Addr[], now: number): void {
    const others = [...new Set(seeds)].filter((s) => s !== this.addr);
    for (const s of others) if (!this.seeds.includes(s)) this.seeds.push(s);
    for (let i = others.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [others[i], others[j]] = [others[j]!, others[i]!];
    }
    for (const s of others.slice(0, JOIN_CONTACTS)) this.startExchange(s, 'push-pull', now);
    if (others.length > 0) this.announceOnJoin = true;
  }

  /** Graceful leave: announce `left` (final, unlike `dead`), stop probing, keep gossiping it out. */
  leave(now: number): void {
    if (this.leaving) return;
    this.leaving = true;
    this.prober.stop();
    const rec: MemberRecord = { ...this.self(), state: 'left' };
    this.putMember(rec, now);
    this.announce(this.memberMessage(rec, this.name, now), `m:${this.name}`, now);
  }

  setTags(tags: Record<string, string>, now: number): void {
    this.checkTags(tags);
    this.tags = { ...tags };
    this.bumpSelf(now, this.incarnation + 1);
  }

  fireEvent(name: string, payload: Uint8Array, now: number): void {
    this.checkPayload(payload);
    const seq = ++this.eventSeq;
    this.events.firstTime(this.name, this.generation, seq, now);
    const m: Message = {
      t: 'user-event',
      rumor: this.localRumor(now),
      generation: this.generation,
      seq,
      name,
      payload,
    };
    this.out.event({ type: 'user-event', origin: this.name, name, payload, via: 'local', rumor: m.rumor });
    this.announce(m, `e:${this.name}:${this.generation}:${seq}`, now);
  }

  kvPut(key: string, value: Uint8Array, now: number): KvEntry {
    this.checkPayload(value);
    return this.localKv(this.kv.put(key, value, this.name, Math.floor(now)), now);
  }

  kvDelete(key: string, now: number): KvEntry {
    return this.localKv(this.kv.delete(key, this.name, Math.floor(now)), now);
  }

  /** Starts one anti-entropy exchange now (with `peer`, or one chosen by the configured policy). */
  startAntiEntropy(now: number, peer?: Addr): void {
    const target = peer ?? this.antiEntropyPeer();
    if (target) this.startExchange(target, this.cfg.antiEntropy.mode, now);
  }

  /**
   * Writes a key/value entry into local state without telling anyone, as if a rumor had been lost.
   * The simulator and tests use it to inject divergence for anti-entropy to repair.
   */
  injectDivergentKv(entry: KvEntry, now: number): boolean {
    return this.applyKv(entry, null, 'local', now, false);
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
    this.mail.configure(config.directMail);
    this.health.setMax(config.awarenessMaxMultiplier);
    this.kv.setTombstoneTtl(config.tombstoneTtlMs);
    this.events.forgetAfterMs = config.deadReapMs;
    // Shorter periods take effect now rather than after the old, longer wait.
    this.prober.reschedule(now);
    this.nextGossipAt = Math.min(this.nextGossipAt, now + config.gossipIntervalMs);
    this.nextAntiEntropyAt = Math.min(this.nextAntiEntropyAt, now + config.antiEntropy.intervalMs);
    this.nextReconnectAt = Math.min(this.nextReconnectAt, now + config.reconnectIntervalMs);
  }

  /**
   * Replaces the keyring (key rotation without restart). Rotate in three steps across the cluster:
   * add the new key as a secondary everywhere, make it primary everywhere, then remove the old key.
   * Turning encryption on or off this way splits the cluster until every node has done the same.
   */
  setKeyring(keyring: Keyring | null): void {
    this.keyring = keyring;
    if (!keyring) this.replay = null;
    else this.replay ??= new ReplayWindow();
  }

  /** Live key/value entries (no tombstones) whose key starts with `prefix`, in key order (`kv list`). */
  kvList(prefix = ''): KvEntry[] {
    const out = [...this.kv.entries()].filter((e) => e.value !== null && e.key.startsWith(prefix));
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  // ───────────────────────────── driving ─────────────────────────────

  nextDeadline(): number {
    let next = Math.min(
      this.prober.nextDeadline(),
      this.nextGossipAt,
      this.nextReconnectAt,
      this.nextMaintenanceAt,
      this.cfg.antiEntropy.enabled ? this.nextAntiEntropyAt : Number.POSITIVE_INFINITY,
    );
    for (const s of this.suspicions.values()) if (s.deadline < next) next = s.deadline;
    if (this.mail.size > 0) next = Math.min(next, this.mail.nextDeadline());
    return next;
  }

  tick(now: number): void {
    this.prober.tick(now);
    if (now >= this.nextGossipAt) this.gossip(now);
    for (const [name, s] of this.suspicions) if (now >= s.deadline) this.suspicionExpired(name, s, now);
    if (this.mail.size > 0) this.retryMail(now);
    if (this.cfg.antiEntropy.enabled && now >= this.nextAntiEntropyAt) {
      this.nextAntiEntropyAt = now + this.cfg.antiEntropy.intervalMs * (0.75 + 0.5 * this.rng.next());
      this.startAntiEntropy(now);
    }
    if (now >= this.nextReconnectAt) {
      this.nextReconnectAt = now + this.cfg.reconnectIntervalMs;
      this.reconnect(now);
    }
    if (now >= this.nextMaintenanceAt) {
      this.nextMaintenanceAt = now + MAINTENANCE_MS;
      this.maintain(now);
    }
  }

  /**
   * One packet from the transport. `_from` is not used for replies: a stream's source port is
   * ephemeral, so answers go to the advertised address inside the (authenticated) packet.
   */
  receive(_from: Addr, bytes: Uint8Array, channel: Channel, now: number): void {
    this.stats.packetsReceived++;
    this.stats.bytesReceived += bytes.length;
    const res = decodePacket(bytes, {
      cluster: this.cfg.cluster,
      keyring: this.keyring,
      maxBytes: channel === 'datagram' ? this.cfg.maxPacketBytes : MAX_STREAM_PACKET_BYTES,
    });
    if (!res.ok) {
      this.drop(res.reason);
      return;
    }
    const { sender, messages } = res.packet;
    if (sender.name === this.name && sender.generation === this.generation) return;
    if (this.replay && this.replay.check(sender.name, sender.generation, sender.seq) === 'replay') {
      this.drop('replay');
      return;
    }
    const first = messages[0];
    const via: Via = first?.t === 'mail' ? 'mail' : 'rumor';
    let antiEntropy = false;
    for (const m of messages) {
      this.stats.messagesReceived[m.t] = (this.stats.messagesReceived[m.t] ?? 0) + 1;
      if (m.t.startsWith('ae-')) antiEntropy = true;
      else this.handle(m, sender, via, now);
    }
    if (antiEntropy) this.onAntiEntropy(messages, sender, bytes.length, now);
  }

  // ───────────────────────────── message handling ─────────────────────────────

  private handle(m: Message, sender: PacketSender, via: Via, now: number): void {
    switch (m.t) {
      case 'ping':
        // The target name guards against acking for a node that used to have this address.
        if (m.target === this.name && !this.leaving) {
          this.sendPacket(sender.addr, [this.encode({ t: 'ack', seq: m.seq })], 'datagram', true);
        }
        return;
      case 'ping-req':
        this.prober.relay(m.seq, m.target, m.targetAddr, sender.addr, now);
        return;
      case 'ack':
        this.prober.onAck(m.seq, now);
        return;
      case 'nack':
        this.prober.onNack(m.seq);
        return;
      case 'member':
        this.applyMember(m.member, m.from, via, { ...m.rumor, hops: m.rumor.hops + 1 }, now);
        return;
      case 'user-event':
        this.onUserEvent(m, via, now);
        return;
      case 'kv':
        this.applyKv(m.entry, { ...m.rumor, hops: m.rumor.hops + 1 }, via, now, true);
        return;
      case 'mail':
        this.sendPacket(sender.addr, [this.encode({ t: 'mail-ack', id: m.id })], 'datagram', false);
        return;
      case 'mail-ack':
        this.mail.ack(sender.name, m.id);
        this.syncMailStats();
        return;
      default:
        return;
    }
  }

  // ───────────────────────────── failure detection ─────────────────────────────

  private proberHost(): ProberHost {
    return {
      name: this.name,
      table: this.table,
      health: this.health,
      stats: this.stats,
      rng: this.rng,
      config: () => this.cfg,
      send: (to, messages) =>
        this.sendPacket(
          to,
          messages.map((m) => this.encode(m)),
          'datagram',
          true,
        ),
      // Buddy system (Lifeguard): tell a suspect it is suspected so it can refute at once.
      pingExtras: (target, now) =>
        target.state === 'suspect' ? [this.memberMessage(target, this.name, now)] : [],
      acked: (target, ms) => this.out.event({ type: 'probe-rtt', target, ms }),
      probeFailed: (target, now) => this.probeFailed(target, now),
    };
  }

  /** Our probe of `target` failed: suspect it, or count as a confirmation if it already is. */
  private probeFailed(target: string, now: number): void {
    const e = this.table.get(target);
    if (e && e.record.state === 'alive') {
      this.stats.suspicionsRaised++;
      this.applyMember({ ...e.record, state: 'suspect' }, this.name, 'local', this.localRumor(now), now);
    } else if (e?.record.state === 'suspect' && this.suspicions.get(target)?.confirm(this.name)) {
      // Our own failed probe is an independent confirmation: others' timeouts shrink with it too.
      this.enqueueRumor(this.memberMessage(e.record, this.name, now));
    }
  }

  private suspicionExpired(name: string, s: Suspicion, now: number): void {
    this.suspicions.delete(name);
    const e = this.table.get(name);
    if (e?.record.state !== 'suspect') return;
    if (e.record.incarnation !== s.incarnation || e.record.generation !== s.generation) return;
    this.stats.deathsDeclared++;
    this.applyMember({ ...e.record, state: 'dead' }, this.name, 'local', this.localRumor(now), now);
  }

  // ───────────────────────────── membership state ─────────────────────────────

  /** Merges a record about a member; returns true when it changed local state. */
  private applyMember(
    rec: MemberRecord,
    from: string,
    via: Via,
    rumor: RumorMeta | null,
    now: number,
  ): boolean {
    if (rec.name === this.name) return this.aboutSelf(rec, now);
    const cur = this.table.get(rec.name);
    if (!cur) {
      // Bad news about a member we never knew adds nothing but a ghost.
      if (rec.state !== 'alive') return false;
    } else if (compareMemberVersion(rec, cur.record) <= 0) {
      if (rec.state === 'suspect' && cur.record.state === 'suspect' && sameVersion(rec, cur.record)) {
        const s = this.suspicions.get(rec.name);
        // An independent confirmation shortens the timeout and is worth passing on.
        if (s?.confirm(from) && rumor) this.enqueueRumor(this.memberMessage(rec, from, now, rumor));
      }
      return false;
    }
    const previous = cur?.record.state ?? null;
    this.putMember(rec, now);
    this.suspicions.delete(rec.name);
    if (rec.state === 'suspect') {
      const n = this.table.counts.alive + this.table.counts.suspect;
      const t = suspicionTimeouts(
        n,
        this.cfg.probeIntervalMs,
        this.cfg.suspicionMult,
        this.cfg.suspicionMaxTimeoutMult,
      );
      this.suspicions.set(rec.name, new Suspicion(rec.incarnation, rec.generation, now, t, from));
    }
    if (rec.state === 'dead' || rec.state === 'left') {
      this.mail.dropPeer(rec.name);
      this.syncMailStats();
    }
    this.out.event({ type: 'member', member: rec, previous, via, rumor });
    // Anti-entropy repairs what it finds by itself; only news a member must hear (to refute it, or
    // to learn of a newcomer through the peer it joined) is turned into rumors from there.
    const spread = via !== 'anti-entropy' || rec.state !== 'alive' || cur !== undefined || from === rec.name;
    if (spread) this.enqueueRumor(this.memberMessage(rec, from, now, rumor ?? this.localRumor(now)));
    return true;
  }

  /** Someone says something about us: refute suspicion or death by raising our incarnation. */
  private aboutSelf(rec: MemberRecord, now: number): boolean {
    if (rec.generation !== this.generation || rec.state === 'alive' || this.leaving) return false;
    if (rec.incarnation < this.incarnation) return false;
    this.stats.suspicionsRefuted++;
    this.health.apply(1);
    this.bumpSelf(now, rec.incarnation + 1);
    return false;
  }

  private bumpSelf(now: number, incarnation: number): void {
    this.incarnation = incarnation;
    const rec: MemberRecord = {
      ...this.self(),
      incarnation,
      tags: this.tags,
      state: this.leaving ? 'left' : 'alive',
    };
    this.putMember(rec, now);
    this.announce(this.memberMessage(rec, this.name, now), `m:${this.name}`, now);
  }

  private putMember(rec: MemberRecord, now: number): void {
    const old = this.table.get(rec.name);
    if (old) this.viewHash = xorHash(this.viewHash, viewEntryHash(old.record));
    this.viewHash = xorHash(this.viewHash, viewEntryHash(rec));
    this.table.set({ record: rec, changedAt: now });
    this.tree.set(memberKey(rec.name), hashMemberRecord(rec));
    if (rec.state === 'dead' || rec.state === 'left') this.mortals.add(rec.name);
    else this.mortals.delete(rec.name);
  }

  private removeMember(name: string): void {
    const old = this.table.get(name);
    if (!old) return;
    this.viewHash = xorHash(this.viewHash, viewEntryHash(old.record));
    this.table.delete(name);
    this.tree.delete(memberKey(name));
    this.mortals.delete(name);
    this.suspicions.delete(name);
    this.replay?.forget(name);
    this.out.event({ type: 'member-reaped', name });
  }

  private memberMessage(member: MemberRecord, from: string, now: number, rumor?: RumorMeta): Message {
    return { t: 'member', rumor: rumor ?? this.localRumor(now), member, from };
  }

  private localRumor(now: number): RumorMeta {
    return { origin: this.name, originTime: Math.floor(now), hops: 0 };
  }

  // ───────────────────────────── user events and key/value ─────────────────────────────

  private onUserEvent(m: Extract<Message, { t: 'user-event' }>, via: Via, now: number): void {
    if (!this.events.firstTime(m.rumor.origin, m.generation, m.seq, now)) return;
    const rumor = { ...m.rumor, hops: m.rumor.hops + 1 };
    this.out.event({
      type: 'user-event',
      origin: m.rumor.origin,
      name: m.name,
      payload: m.payload,
      via,
      rumor,
    });
    this.enqueueRumor({ ...m, rumor });
  }

  private applyKv(entry: KvEntry, rumor: RumorMeta | null, via: Via, now: number, spread: boolean): boolean {
    if (this.kv.apply(entry, now) !== 'applied') return false;
    const stored = this.kv.get(entry.key)!;
    this.tree.set(kvKey(entry.key), hashKvEntry(stored));
    this.out.event({ type: 'kv', key: entry.key, value: entry.value, writer: entry.writer, via, rumor });
    if (spread && rumor) this.enqueueRumor({ t: 'kv', rumor, entry });
    return true;
  }

  private localKv(entry: KvEntry, now: number): KvEntry {
    this.tree.set(kvKey(entry.key), hashKvEntry(entry));
    const m: Message = { t: 'kv', rumor: this.localRumor(now), entry };
    this.out.event({
      type: 'kv',
      key: entry.key,
      value: entry.value,
      writer: this.name,
      via: 'local',
      rumor: m.rumor,
    });
    this.announce(m, `k:${entry.key}`, now);
    return entry;
  }

  private checkTags(tags: Record<string, string>): void {
    // As encoded: a length byte and the UTF-8 bytes of every key and value.
    let size = 0;
    for (const [k, v] of Object.entries(tags)) size += 2 + Buffer.byteLength(k) + Buffer.byteLength(v);
    if (size > this.cfg.maxTagBytes) {
      throw new RangeError(`tags take ${size} bytes; the limit (maxTagBytes) is ${this.cfg.maxTagBytes}`);
    }
  }

  private checkPayload(payload: Uint8Array): void {
    if (payload.length > this.cfg.maxPayloadBytes) {
      throw new RangeError(
        `payload is ${payload.length} bytes; the limit (maxPayloadBytes) is ${this.cfg.maxPayloadBytes}`,
      );
    }
  }

  // ───────────────────────────── rumor mongering and direct mail ─────────────────────────────

  private rumorKey(m: Message): string {
    switch (m.t) {
      case 'member':
        return `m:${m.member.name}`;
      case 'kv':
        return `k:${m.entry.key}`;
      case 'user-event':
        return `e:${m.rumor.origin}:${m.generation}:${m.seq}`;
      default:
        throw new Error(`not a rumor: ${m.t}`);
    }
  }

  private enqueueRumor(m: Message): void {
    this.rumors.enqueue(this.rumorKey(m), m.t, this.encode(m));
  }

  /** A local update: rumor it, and mail it straight to peers. */
  private announce(m: Message, key: string, now: number): void {
    const bytes = this.encode(m);
    this.rumors.enqueue(key, m.t, bytes);
    if (!this.cfg.directMail.enabled) return;
    const dm = this.cfg.directMail;
    const peers = this.table.sample(dm.maxPeers, this.rng, (e) => this.isLivePeer(e));
    if (peers.length === 0) return;
    const id = ++this.mailSeq;
    for (const p of peers) {
      this.mail.add(id, p.record.name, p.record.addr, [bytes], now);
      this.syncMailStats();
      this.stats.directMailSent++;
      this.sendPacket(p.record.addr, [this.encode({ t: 'mail', id }), bytes], 'datagram', false);
    }
  }

  private retryMail(now: number): void {
    for (const m of this.mail.due(now)) {
      this.stats.directMailRetries++;
      this.sendPacket(m.addr, [this.encode({ t: 'mail', id: m.id }), ...m.messages], 'datagram', false);
    }
    this.syncMailStats();
  }

  private syncMailStats(): void {
    this.stats.directMailDropped = this.mail.counters.dropped;
    this.stats.directMailAcked = this.mail.counters.acked;
  }

  private isLivePeer(e: MemberEntry): boolean {
    return e.record.name !== this.name && (e.record.state === 'alive' || e.record.state === 'suspect');
  }

  private retransmitLimit(): number {
    const n = this.table.counts.alive + this.table.counts.suspect;
    return this.cfg.retransmitMult * Math.max(1, Math.ceil(Math.log10(n + 1)));
  }

  private gossip(now: number): void {
    this.nextGossipAt = now + this.cfg.gossipIntervalMs;
    if (this.rumors.size === 0) return;
    const deadWindow = this.cfg.gossipToTheDeadMs;
    const targets = this.table.sample(
      this.cfg.gossipFanout,
      this.rng,
      (e) =>
        this.isLivePeer(e) ||
        (e.record.state === 'dead' && e.record.name !== this.name && now - e.changedAt < deadWindow),
    );
    for (const t of targets) {
      if (this.rumors.size === 0) break;
      this.sendPacket(t.record.addr, [], 'datagram', true);
    }
  }

  // ───────────────────────────── anti-entropy ─────────────────────────────

  private antiEntropyPeer(): Addr | undefined {
    if (this.cfg.antiEntropy.peerSelection === 'ring') return this.ringSuccessor()?.addr;
    return this.table.sample(1, this.rng, (e) => this.isLivePeer(e))[0]?.record.addr;
  }

  /** The next live member after us in name order (wrapping), so repairs sweep the whole ring. */
  private ringSuccessor(): MemberRecord | undefined {
    let best: MemberRecord | undefined;
    let first: MemberRecord | undefined;
    for (const e of this.table.entries()) {
      if (!this.isLivePeer(e)) continue;
      const n = e.record.name;
      if (!first || n < first.name) first = e.record;
      if (n > this.name && (!best || n < best.name)) best = e.record;
    }
    return best ?? first;
  }

  private startExchange(peer: Addr, mode: EngineConfig['antiEntropy']['mode'], now: number): void {
    this.stats.antiEntropyRounds++;
    this.aeSession = (this.aeSession + 1) >>> 0;
    const start = this.ae.start(peer, this.aeSession, mode, now);
    this.sendAntiEntropy(peer, (start as { session: number }).session, [start]);
  }

  private sendAntiEntropy(peer: Addr, session: number, messages: Message[]): void {
    const key = `${session}|${peer}`;
    const bytes = this.sendPacket(
      peer,
      messages.map((m) => this.encode(m)),
      'stream',
      false,
    );
    this.aeBytes.set(key, (this.aeBytes.get(key) ?? 0) + bytes);
    // Sessions that time out never report; keep the byte ledger bounded anyway.
    if (this.aeBytes.size > 256) this.aeBytes.delete(this.aeBytes.keys().next().value as string);
  }

  private onAntiEntropy(messages: Message[], sender: PacketSender, size: number, now: number): void {
    this.aePeerName = sender.name;
    const outcomes = this.ae.handle(sender.addr, messages, now);
    this.aePeerName = undefined;
    for (const o of outcomes) {
      const key = `${o.session}|${o.peer}`;
      this.aeBytes.set(key, (this.aeBytes.get(key) ?? 0) + size / outcomes.length);
      this.stats.antiEntropyRepaired += o.applied;
      if (o.messages.length > 0) this.sendAntiEntropy(o.peer, o.session, o.messages);
      if (o.done) {
        // Our arrival is a local update: mail it to the peers the join taught us, and rumor it,
        // rather than leaving it to the seed's rumor alone (which may miss some nodes).
        if (this.announceOnJoin && this.table.counts.alive + this.table.counts.suspect > 1 && !this.leaving) {
          this.announceOnJoin = false;
          this.announce(this.memberMessage(this.self(), this.name, now), `m:${this.name}`, now);
        }
        const bytes = Math.round(this.aeBytes.get(key) ?? 0);
        this.aeBytes.delete(key);
        this.out.event({
          type: 'anti-entropy',
          peer: o.peer,
          bytes,
          repaired: o.totalApplied,
          equal: o.equal,
        });
      }
    }
  }

  private replicatedState(): ReplicatedState {
    const node = this;
    return {
      get tree() {
        return node.tree;
      },
      recordFor: (treeKey) => {
        const key = parseTreeKey(treeKey);
        if (key?.kind === 'member') {
          const e = this.table.get(key.name);
          return e ? { kind: 'member', member: e.record } : undefined;
        }
        const entry = key && this.kv.get(key.key);
        return entry ? { kind: 'kv', entry } : undefined;
      },
      apply: (members, kv, now) => {
        let changed = 0;
        for (const rec of members) {
          if (this.applyMember(rec, this.aePeerName ?? rec.name, 'anti-entropy', null, now)) changed++;
        }
        for (const e of kv) if (this.applyKv(e, null, 'anti-entropy', now, false)) changed++;
        return changed;
      },
    };
  }

  private reconnect(now: number): void {
    // Partition healing: talk to a dead member or a seed now and then, so two halves that lost
    // each other exchange state (and refute each other's death notices) without a restart.
    const candidates: Addr[] = [];
    for (const name of this.mortals) {
      const e = this.table.get(name);
      if (e && e.record.state === 'dead') candidates.push(e.record.addr);
    }
    const alone = this.table.counts.alive + this.table.counts.suspect <= 1;
    for (const s of this.seeds) if (s !== this.addr) candidates.push(s);
    if (candidates.length === 0) return;
    if (alone) {
      for (const s of this.seeds) if (s !== this.addr) this.startExchange(s, 'push-pull', now);
      return;
    }
    this.startExchange(candidates[this.rng.int(candidates.length)]!, 'push-pull', now);
  }

  private maintain(now: number): void {
    for (const name of [...this.mortals]) {
      const e = this.table.get(name);
      if (e && now - e.changedAt >= this.cfg.deadReapMs) this.removeMember(name);
    }
    for (const key of this.kv.expire(now)) this.tree.delete(kvKey(key));
    this.events.prune(now);
    this.ae.expire(now);
  }

  // ───────────────────────────── packets ─────────────────────────────

  private encode(m: Message): Uint8Array {
    this.stats.messagesSent[m.t] = (this.stats.messagesSent[m.t] ?? 0) + 1;
    return encodeMessage(m);
  }

  /** Sends messages, topped up with rumors (piggybacking) when `fill` is set and space remains. */
  /** Returns the bytes sent (0 when there was nothing to send). */
  private sendPacket(to: Addr, messages: Uint8Array[], channel: Channel, fill: boolean): number {
    if (fill && this.rumors.size > 0) {
      let used = this.overhead;
      for (const m of messages) used += framedSize(m);
      const budget = this.cfg.maxPacketBytes - used;
      for (const r of this.rumors.take(budget, this.retransmitLimit(), framedSize)) {
        messages.push(r.bytes);
        this.stats.messagesSent[r.type] = (this.stats.messagesSent[r.type] ?? 0) + 1;
      }
    }
    if (messages.length === 0) return 0;
    const sender: PacketSender = {
      name: this.name,
      generation: this.generation,
      addr: this.addr,
      seq: ++this.packetSeq,
    };
    const bytes = encodePacket(this.cfg.cluster, sender, messages, this.keyring);
    this.stats.packetsSent++;
    this.stats.bytesSent += bytes.length;
    if (channel === 'stream') this.stats.antiEntropyBytes += bytes.length;
    this.out.send(to, bytes, channel);
    return bytes.length;
  }

  private drop(reason: DropReason): void {
    this.stats.dropped[reason] = (this.stats.dropped[reason] ?? 0) + 1;
  }
}

function sameVersion(a: MemberRecord, b: MemberRecord): boolean {
  return a.generation === b.generation && a.incarnation === b.incarnation;
}
