// Drives anti-entropy for one node: periodic exchanges with a peer chosen at random or as the ring
// successor, joins through seeds (and the announcement after the first exchange), and partition
// healing (now and then an exchange with a dead member or a seed; with a live seed only while the
// view changes). The exchange protocol itself is state/anti-entropy-session.ts.
//
// Joining fast (issue 12): a node that is alone tries its seeds on a short, growing interval (a
// quarter of the probe interval, doubling up to reconnectIntervalMs), so a seed that was not
// listening yet is reached moments after it starts; a refused exchange ends at once (sendFailed).
// After the first exchange completes, one more exchange with the same peer follows a few gossip
// intervals later: nodes that joined at the same moment got the seed's view before each other.
import type { EngineConfig } from '../config/engine-schema.js';
import { AntiEntropy, type ReplicatedState } from '../state/anti-entropy-session.js';
import type { Addr, MemberRecord, Message, PacketSender } from '../wire/messages.js';
import type { Timer } from './deadlines.js';
import type { Membership } from './membership.js';
import type { CoreEvent, CoreStats, Rng } from './types.js';

/** Seeds contacted by one join() call. */
const JOIN_CONTACTS = 3;
/** Byte ledgers of sessions that never report (timeouts) are bounded by this. */
const MAX_LEDGERS = 256;
/** Exchanges to retry after a failed send, at most (the oldest is forgotten beyond it). */
const MAX_RETRIES = 16;
/** The follow-up exchange after a join comes this many gossip intervals later (jittered ×0.5–1.5). */
const FOLLOW_UP_GOSSIP_INTERVALS = 2;

/** The first delay between seed attempts of a node that is alone (it doubles per attempt). */
export function firstSeekDelay(cfg: EngineConfig): number {
  return Math.min(cfg.probeIntervalMs / 4, cfg.reconnectIntervalMs);
}

export interface AntiEntropyHost {
  readonly rng: Rng;
  readonly stats: CoreStats;
  readonly membership: Membership;
  config(): EngineConfig;
  event(e: CoreEvent): void;
  /** Sends messages to the peer in one stream packet; returns the bytes sent. */
  send(to: Addr, messages: Message[]): number;
  schedule(at: number, timer: Timer): void;
}

export class AntiEntropyDriver {
  private readonly ae: AntiEntropy;
  /** Bytes sent and received per open session, for its completion event. */
  private readonly bytes = new Map<string, number>();
  private session = 0;
  private seeds: Addr[] = [];
  /** Set by join(): announce ourselves once the first exchange has taught us who the peers are. */
  private announceOnJoin = false;
  private nextExchangeAt: number;
  /** The peer whose records are being merged (the `from` of records applied by an exchange). */
  applyingFrom: string | undefined;
  private nextReconnectAt: number;
  /** Delay before the next seed attempt while alone; back to the first delay once joined. */
  private seekDelay: number;
  /** The view digest at the last reconnect round: unchanged since means the view has settled. */
  private viewAtLastRound: string | undefined;
  /** Whether the reconnect timer is a seed attempt of a node that was alone (not partition healing). */
  private seeking = false;
  /** The peer of the completed join exchange, for the follow-up exchange (then cleared). */
  private followUp: Addr | undefined;
  /** Exchanges this node started whose sends failed: retried once, one per round, before a random peer. */
  private readonly retries = new Map<Addr, EngineConfig['antiEntropy']['mode']>();
  /** Peers of retries under way: a retry that fails again is not queued again (the peer may be gone). */
  private readonly retrying = new Set<Addr>();

  constructor(
    private readonly host: AntiEntropyHost,
    state: ReplicatedState,
    now: number,
  ) {
    const cfg = host.config();
    this.ae = new AntiEntropy(state, { timeoutMs: 10 * cfg.probeIntervalMs + 5_000 });
    this.nextExchangeAt = now + (0.5 + host.rng.next()) * cfg.antiEntropy.intervalMs;
    this.nextReconnectAt = now + cfg.reconnectIntervalMs;
    this.seekDelay = firstSeekDelay(cfg);
    host.schedule(this.nextExchangeAt, { kind: 'anti-entropy' });
    host.schedule(this.nextReconnectAt, { kind: 'reconnect' });
  }

  /** Moves the reconnect timer to `at` when that is sooner than it is due. */
  private reconnectBy(at: number): void {
    if (at >= this.nextReconnectAt) return;
    this.nextReconnectAt = at;
    this.host.schedule(at, { kind: 'reconnect' });
  }

  reconfigure(cfg: EngineConfig, now: number): void {
    if (now + cfg.antiEntropy.intervalMs < this.nextExchangeAt) {
      this.nextExchangeAt = now + cfg.antiEntropy.intervalMs;
      this.host.schedule(this.nextExchangeAt, { kind: 'anti-entropy' });
    }
    this.seekDelay = Math.min(this.seekDelay, cfg.reconnectIntervalMs);
    this.reconnectBy(now + cfg.reconnectIntervalMs);
  }

  /**
   * Joins through seeds: a push-pull exchange with up to JOIN_CONTACTS of them at random (a DNS
   * answer may list hundreds); all are remembered for partition healing (see reconnect). While the
   * node is still alone the seeds are tried again soon, with backoff (see reconnect).
   */
  join(seeds: Addr[], now: number): void {
    const self = this.host.membership.addr;
    const others = [...new Set(seeds)].filter((s) => s !== self);
    for (const s of others) if (!this.seeds.includes(s)) this.seeds.push(s);
    this.contactSeeds(others, now);
    if (others.length === 0) return;
    this.announceOnJoin = true;
    this.seeking = true;
    this.seekDelay = firstSeekDelay(this.host.config());
    this.reconnectBy(this.nextSeek(now));
  }

  /** When the next seed attempt of a node that is alone is due; the delay after it doubles. */
  private nextSeek(now: number): number {
    const at = now + this.seekDelay;
    this.seekDelay = Math.min(this.seekDelay * 2, this.host.config().reconnectIntervalMs);
    return at;
  }

  /** Push-pull with up to JOIN_CONTACTS of `seeds`, chosen at random. */
  private contactSeeds(seeds: Addr[], now: number): void {
    const others = [...seeds];
    for (let i = others.length - 1; i > 0; i--) {
      const j = this.host.rng.int(i + 1);
      [others[i], others[j]] = [others[j]!, others[i]!];
    }
    for (const s of others.slice(0, JOIN_CONTACTS)) this.exchange(s, 'push-pull', now);
  }

  /** Starts one exchange now (with `peer`, or one chosen by the configured policy). */
  start(now: number, peer?: Addr): void {
    const target = peer ?? this.peer();
    if (target) this.exchange(target, this.host.config().antiEntropy.mode, now);
  }

  /** The periodic exchange timer fired. */
  onTimer(now: number): void {
    const cfg = this.host.config();
    if (now < this.nextExchangeAt) return;
    if (!cfg.antiEntropy.enabled) {
      // Look again later: a reload may turn exchanges on.
      this.host.schedule(now + cfg.antiEntropy.intervalMs, { kind: 'anti-entropy' });
      return;
    }
    this.nextExchangeAt = now + cfg.antiEntropy.intervalMs * (0.75 + 0.5 * this.host.rng.next());
    this.host.schedule(this.nextExchangeAt, { kind: 'anti-entropy' });
    const retry = this.retries.entries().next().value;
    const followUp = this.followUp;
    this.followUp = undefined;
    if (followUp !== undefined) this.exchange(followUp, 'push-pull', now);
    else if (retry === undefined) this.start(now);
    else {
      this.retries.delete(retry[0]);
      this.retrying.add(retry[0]);
      if (this.retrying.size > MAX_RETRIES) this.retrying.delete(this.retrying.values().next().value as Addr);
      this.exchange(retry[0], retry[1], now);
    }
  }

  /**
   * A stream send to `peer` failed (refused, reset, queue full): its sessions cannot complete, so
   * they end now rather than at the idle timeout; the ones this node started are retried next round.
   */
  sendFailed(peer: Addr): void {
    const again = this.retrying.delete(peer);
    for (const s of this.ae.abort(peer)) {
      this.host.stats.antiEntropyAborted++;
      if (s.role !== 'initiator' || again) continue;
      this.retries.delete(peer);
      this.retries.set(peer, s.mode);
      if (this.retries.size > MAX_RETRIES) this.retries.delete(this.retries.keys().next().value as Addr);
    }
  }

  /**
   * Partition healing: talk to a dead member or a seed now and then (a live seed only while the
   * view changes), so two halves that lost each other exchange state (and refute each other's death
   * notices) without a restart. A node that is alone tries its seeds (up to JOIN_CONTACTS at
   * random) after a short delay that doubles per attempt up to reconnectIntervalMs: a seed not
   * listening yet is found moments after it starts.
   */
  reconnect(now: number): void {
    if (now < this.nextReconnectAt) return;
    const cfg = this.host.config();
    const { membership } = this.host;
    // Settled: the view has not changed since the last round (nothing joined, left or failed).
    const view = membership.viewDigest();
    const settled = view === this.viewAtLastRound;
    this.viewAtLastRound = view;
    const seeds = this.seeds.filter((s) => s !== membership.addr);
    const alone = membership.liveCount() <= 1;
    const wasSeeking = this.seeking;
    this.seeking = alone && seeds.length > 0;
    if (this.seeking) this.nextReconnectAt = this.nextSeek(now);
    else {
      this.nextReconnectAt = now + cfg.reconnectIntervalMs;
      this.seekDelay = firstSeekDelay(cfg);
    }
    this.host.schedule(this.nextReconnectAt, { kind: 'reconnect' });
    if (alone) {
      this.contactSeeds(seeds, now);
      return;
    }
    // A seed attempt that finds the node joined meanwhile has nothing to heal: the join's
    // follow-up exchange (followUpWith) does the re-sync, without a second one loading the seed.
    if (wasSeeking) return;
    // Seeds see every join first: while the view changes, an exchange with one (live or not) each
    // round catches up a node that missed a join. Once the view has settled, a live seed heals
    // nothing the periodic exchanges do not (it is one of their peers), and every node talking to
    // it each round would only load it; a seed outside the live view (dead, reaped, or never met:
    // the other side of a partition) is still worth the exchange.
    const candidates = membership.deadAddrs();
    if (seeds.length > 0) {
      const live = settled ? membership.livePeerAddrs() : new Set<Addr>();
      for (const s of seeds) if (!live.has(s)) candidates.push(s);
    }
    if (candidates.length === 0) return;
    this.exchange(candidates[this.host.rng.int(candidates.length)]!, 'push-pull', now);
  }

  /** The ae-* messages of one packet. */
  onPacket(messages: Message[], sender: PacketSender, size: number, now: number): void {
    this.applyingFrom = sender.name;
    const outcomes = this.ae.handle(sender.addr, messages, now);
    this.applyingFrom = undefined;
    this.host.stats.antiEntropyEvicted = this.ae.evicted;
    for (const o of outcomes) {
      const key = `${o.session}|${o.peer}`;
      this.bytes.set(key, (this.bytes.get(key) ?? 0) + size / outcomes.length);
      this.host.stats.antiEntropyRepaired += o.applied;
      // Chunked records first, one packet each, in order on the peer's connection.
      for (const part of o.parts) this.sendTo(o.peer, o.session, [part]);
      if (o.messages.length > 0) this.sendTo(o.peer, o.session, o.messages);
      if (o.done) this.finished(key, o.peer, o.totalApplied, o.equal, now);
    }
  }

  expire(now: number): void {
    this.ae.expire(now);
  }

  private finished(key: string, peer: Addr, repaired: number, equal: boolean, now: number): void {
    // Our arrival is a local update: mail it to the peers the join taught us, and rumor it,
    // rather than leaving it to the seed's rumor alone (which may miss some nodes).
    const { membership } = this.host;
    if (this.announceOnJoin && membership.liveCount() > 1 && !membership.leaving) {
      this.announceOnJoin = false;
      membership.announceSelf(now);
      this.followUpWith(peer, now);
    }
    this.retrying.delete(peer);
    const bytes = Math.round(this.bytes.get(key) ?? 0);
    this.bytes.delete(key);
    this.host.event({ type: 'anti-entropy', peer, bytes, repaired, equal });
  }

  /**
   * Nodes that joined at the same moment each got the seed's view before the other was in it; one
   * more push-pull with the same peer a few gossip intervals later picks up whoever joined meanwhile
   * (before this, they met only at the reconnect or the periodic exchange, 10–45 s later).
   */
  private followUpWith(peer: Addr, now: number): void {
    const cfg = this.host.config();
    if (!cfg.antiEntropy.enabled) return;
    const at = now + FOLLOW_UP_GOSSIP_INTERVALS * cfg.gossipIntervalMs * (0.5 + this.host.rng.next());
    if (at >= this.nextExchangeAt) return;
    this.followUp = peer;
    this.nextExchangeAt = at;
    this.host.schedule(at, { kind: 'anti-entropy' });
  }

  private exchange(peer: Addr, mode: EngineConfig['antiEntropy']['mode'], now: number): void {
    this.host.stats.antiEntropyRounds++;
    this.session = (this.session + 1) >>> 0;
    const start = this.ae.start(peer, this.session, mode, now);
    this.host.stats.antiEntropyEvicted = this.ae.evicted;
    this.sendTo(peer, (start as { session: number }).session, [start]);
  }

  private sendTo(peer: Addr, session: number, messages: Message[]): void {
    const key = `${session}|${peer}`;
    this.bytes.set(key, (this.bytes.get(key) ?? 0) + this.host.send(peer, messages));
    // Sessions that time out never report; keep the byte ledger bounded anyway.
    if (this.bytes.size > MAX_LEDGERS) this.bytes.delete(this.bytes.keys().next().value as string);
  }

  private peer(): Addr | undefined {
    const { membership } = this.host;
    if (this.host.config().antiEntropy.peerSelection === 'ring') return this.ringSuccessor()?.addr;
    return membership.table.sample(1, this.host.rng, (e) => membership.isLivePeer(e))[0]?.record.addr;
  }

  /** The next live member after us in name order (wrapping), so repairs sweep the whole ring. */
  private ringSuccessor(): MemberRecord | undefined {
    const { membership } = this.host;
    let best: MemberRecord | undefined;
    let first: MemberRecord | undefined;
    for (const e of membership.table.entries()) {
      if (!membership.isLivePeer(e)) continue;
      const n = e.record.name;
      if (!first || n < first.name) first = e.record;
      if (n > membership.name && (!best || n < best.name)) best = e.record;
    }
    return best ?? first;
  }
}
