// The sans-IO protocol core: one member of a gossip cluster. Packets and time go in; packets and
// events come out through the injected CoreOutput. No clocks, timers, sockets or Math.random here,
// so the same code runs in agents, deterministic tests and the 10,000-node simulator.
//
// This class is the public API only. Where each concern lives:
//   node-parts.ts          wiring: builds the modules below and connects their host interfaces
//   dispatch.ts            routing of a packet's messages and of due timers to the modules
//   membership.ts          member table, view digest, own record, merging records, refutation, reaping
//   suspicions.ts          open suspicions and their Lifeguard timeouts
//   prober.ts              SWIM probing with indirect probes, nacks and the TCP fallback probe
//   dissemination.ts       rumor queue, piggybacking, gossip rounds, direct mail
//   packet-io.ts           encode/decode, keyring, replay window, drop accounting
//   anti-entropy-driver.ts exchanges, peer selection, join, partition healing
//   replicated-data.ts     key/value store and user events
//   replicated-state.ts    what anti-entropy sees of the node
//   queries.ts             queries: spread like events, answered straight to the origin
//   deadlines.ts           one timer heap for all of the above
//   node-stores.ts         the injected state containers (plain here; copy-on-write in sim/)
import type { Channel } from '../base/types.js';
import type { EngineConfig } from '../config/engine-schema.js';
import type { Keyring } from '../wire/keyring.js';
import type { Addr, KvEntry, MemberRecord } from '../wire/messages.js';
import type { Timer } from './deadlines.js';
import { fireTimer, maintainIfNearlyDue, receivePacket, timerLive } from './dispatch.js';
import type { ForceLeaveDecision } from './force-leave.js';
import { type NodeParts, reconfigureNode, wireNode } from './node-parts.js';
import { emptyStores, type NodeStores } from './node-stores.js';
import type { QueryRef, QueryRequest, RespondResult } from './queries.js';
import { checkTags } from './record-bounds.js';
import type { FireOptions } from './replicated-data.js';
import { type CoreOutput, type CoreStats, emptyStats, type Rng } from './types.js';

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
  /** The state containers to work on; default: empty, plain ones (the simulator passes shared ones). */
  stores?: NodeStores;
}

export class GossipNode {
  readonly stats: CoreStats = emptyStats();
  readonly name: string;
  readonly addr: Addr;
  private readonly p: NodeParts;
  /** Bound once: nextDeadline runs after every packet and tick. */
  private readonly timerLive = (t: Timer, at: number): boolean => timerLive(this.p, t, at);

  constructor(init: GossipNodeInit, deps: GossipNodeDeps, now: number) {
    this.name = init.name;
    this.addr = init.addr;
    const tags = init.tags ?? {};
    checkTags(tags, init.config.maxTagBytes);
    this.p = wireNode(
      { name: init.name, addr: init.addr, generation: init.generation, tags, keyring: init.keyring ?? null },
      init.config,
      deps.stores ?? emptyStores(init.config),
      { rng: deps.rng, out: deps.out, stats: this.stats },
      now,
    );
  }

  // ───────────────────────────── public API ─────────────────────────────

  get generation(): number {
    return this.p.membership.generation;
  }

  self(): MemberRecord {
    return this.p.membership.self();
  }

  member(name: string): MemberRecord | undefined {
    return this.p.membership.get(name)?.record;
  }

  members(): MemberRecord[] {
    return this.p.membership.records();
  }

  counts(): Readonly<Record<MemberRecord['state'], number>> {
    return this.p.membership.counts();
  }

  /** Lifeguard local health score: 0 is healthy; probe timing is stretched by (score + 1). */
  healthScore(): number {
    return this.p.health.score;
  }

  /** A digest of this node's membership view: equal on two nodes ⇔ (almost surely) equal views. */
  viewDigest(): string {
    return this.p.membership.viewDigest();
  }

  pendingRumors(): number {
    return this.p.dissemination.pendingRumors;
  }

  pendingMail(): number {
    return this.p.dissemination.pendingMail;
  }

  isLeaving(): boolean {
    return this.p.membership.leaving;
  }

  kvGet(key: string): Uint8Array | undefined {
    return this.p.data.get(key)?.value ?? undefined;
  }

  /** Live key/value entries (no tombstones) whose key starts with `prefix`, in key order (`kv list`). */
  kvList(prefix = ''): KvEntry[] {
    return this.p.data.list(prefix);
  }

  join(seeds: Addr[], now: number): void {
    this.p.antiEntropy.join(seeds, now);
  }

  /** Graceful leave: announce `left` (final, unlike `dead`), stop probing, keep gossiping it out. */
  leave(now: number): void {
    if (this.p.membership.leaving) return;
    this.p.prober.stop();
    this.p.membership.leave(now);
  }

  /** Serf's force-leave: marks a failed (dead) member `left` so it is reaped; see force-leave.ts. */
  forceLeave(name: string, now: number): ForceLeaveDecision {
    return this.p.membership.forceLeave(name, now);
  }

  setTags(tags: Record<string, string>, now: number): void {
    checkTags(tags, this.p.settings.config.maxTagBytes);
    this.p.membership.setTags(tags, now);
  }

  fireEvent(name: string, payload: Uint8Array, now: number, opts?: FireOptions): void {
    this.p.data.fireEvent(name, payload, now, opts);
  }

  /** Starts a query (see queries.ts); answers arrive as 'query-answer' events until 'query-done'. */
  startQuery(req: QueryRequest, now: number): QueryRef {
    return this.p.queries.start(req, now);
  }

  /** The tag matcher is loaded (after 'tag-matcher-needed'): delivers the queries that waited. */
  resumeParkedQueries(now: number): void {
    this.p.queries.resumeParked(now);
  }

  /** Answers a query delivered here (a 'query' event) with `payload`. */
  respondQuery(ref: QueryRef, payload: Uint8Array, now: number): RespondResult {
    return this.p.queries.respond(ref, payload, now);
  }

  kvPut(key: string, value: Uint8Array, now: number): KvEntry {
    return this.p.data.put(key, value, now);
  }

  kvDelete(key: string, now: number): KvEntry {
    return this.p.data.delete(key, now);
  }

  /** Starts one anti-entropy exchange now (with `peer`, or one chosen by the configured policy). */
  startAntiEntropy(now: number, peer?: Addr): void {
    this.p.antiEntropy.start(now, peer);
  }

  /**
   * The transport could not deliver a stream packet to `to`: its anti-entropy sessions abort. When
   * the connection was refused (`refused`), an open probe of that address ends early too.
   */
  sendFailed(to: Addr, channel: Channel, now: number, refused = false): void {
    if (channel !== 'stream') return;
    this.p.antiEntropy.sendFailed(to);
    if (refused) this.p.prober.fallbackRefused(to, now);
  }

  /**
   * The member at `to` closed or reset the stream connection we held open to it (we close idle ones
   * first, so this means its process went away or restarted): probe it soon instead of in its turn.
   */
  peerClosed(to: Addr, now: number): void {
    this.p.prober.probeSoon(to, now);
  }

  /** New tunables without a restart (hot reload); the cluster name cannot change live. */
  reconfigure(config: EngineConfig, now: number): void {
    reconfigureNode(this.p, config, now);
  }

  /**
   * Replaces the keyring (key rotation without restart). Rotate in three steps across the cluster:
   * add the new key as a secondary everywhere, make it primary everywhere, then remove the old key.
   * Turning encryption on or off this way splits the cluster until every node has done the same.
   */
  setKeyring(keyring: Keyring | null): void {
    this.p.io.setKeyring(keyring);
  }

  // ───────────────────────────── driving ─────────────────────────────

  /** The earliest live timer: stale ones are dropped first, so they never wake the process. */
  nextDeadline(): number {
    this.p.timers.dropStale(this.timerLive);
    return this.p.timers.next();
  }

  tick(now: number): void {
    for (let t = this.p.timers.popDue(now); t; t = this.p.timers.popDue(now)) fireTimer(this.p, t, now);
    maintainIfNearlyDue(this.p, now);
  }

  /**
   * One packet from the transport, sent from `from`. Datagrams are answered at `from`; a stream's
   * source port is ephemeral, so stream answers go to the address inside the packet, which without a
   * keyring must be on the stream's source host (see source-check.ts).
   */
  receive(from: Addr, bytes: Uint8Array, channel: Channel, now: number): void {
    receivePacket(this.p, from, bytes, channel, now);
  }
}
