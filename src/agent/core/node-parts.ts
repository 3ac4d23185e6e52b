// Wiring: builds the modules of one GossipNode and connects each to the others through its small
// host interface. The facade (gossip-node.ts) holds the result; dispatch.ts routes packets and
// timers to it.
import type { EngineConfig } from '../config/engine-schema.js';
import type { DigestTree } from '../state/digest-tree.js';
import type { Keyring } from '../wire/keyring.js';
import type { Addr, Message } from '../wire/messages.js';
import { AntiEntropyDriver } from './anti-entropy-driver.js';
import { Deadlines, type Timer } from './deadlines.js';
import { Dissemination } from './dissemination.js';
import { LocalHealth } from './local-health.js';
import { isLive } from './member-table.js';
import { localRumor, Membership, memberMessage } from './membership.js';
import type { NodeStores } from './node-stores.js';
import { PacketIO } from './packet-io.js';
import { Prober } from './prober.js';
import { Queries } from './queries.js';
import { ReplicatedData } from './replicated-data.js';
import { replicatedState } from './replicated-state.js';
import { memberAddrAllowed } from './source-check.js';
import { Suspicions } from './suspicions.js';
import type { CoreEvent, CoreOutput, CoreStats, Rng } from './types.js';

/** Housekeeping (reaping, tombstone and session expiry) runs about this often (± MAINTENANCE_SLACK_MS). */
export const MAINTENANCE_MS = 1_000;
/**
 * Maintenance runs MAINTENANCE_MS ± this after the last run: at a tick that is awake anyway when
 * one falls in that window (dispatch.ts, maintainIfNearlyDue), else at its own timer at the end.
 */
export const MAINTENANCE_SLACK_MS = 500;

export interface NodeIdentity {
  name: string;
  addr: Addr;
  generation: number;
  tags: Record<string, string>;
  keyring: Keyring | null;
}

/** What every module may use: counters, randomness, the live config, events and the timer heap. */
interface CoreContext {
  readonly stats: CoreStats;
  readonly rng: Rng;
  config(): EngineConfig;
  event(e: CoreEvent): void;
  schedule(at: number, timer: Timer): void;
}

export interface NodeParts {
  /** The live config: reconfigure() replaces it, every module reads it through config(). */
  settings: { config: EngineConfig };
  /**
   * The window of the next maintenance run: any tick from `earliestAt` runs it; its own timer is at
   * `latestAt` (a stale 'maintain' timer is dropped).
   */
  maintenance: { earliestAt: number; latestAt: number };
  readonly timers: Deadlines;
  readonly tree: DigestTree;
  readonly health: LocalHealth;
  readonly suspicions: Suspicions;
  readonly io: PacketIO;
  readonly membership: Membership;
  readonly prober: Prober;
  readonly dissemination: Dissemination;
  readonly data: ReplicatedData;
  readonly antiEntropy: AntiEntropyDriver;
  readonly queries: Queries;
}

export function wireNode(
  id: NodeIdentity,
  config: EngineConfig,
  stores: NodeStores,
  deps: { rng: Rng; out: CoreOutput; stats: CoreStats },
  now: number,
): NodeParts {
  const { rng, out, stats } = deps;
  const settings = { config };
  const timers = new Deadlines();
  const ctx: CoreContext = {
    stats,
    rng,
    config: () => settings.config,
    event: (e) => out.event(e),
    schedule: (at, timer) => timers.schedule(at, timer),
  };
  const tree = stores.tree;
  const health = new LocalHealth(config.awarenessMaxMultiplier);
  const suspicions = new Suspicions((at, name) => ctx.schedule(at, { kind: 'suspicion', name }));
  // Callbacks reach modules built further down; none of them runs during construction.
  const send = (to: Addr, messages: Message[], fill: boolean) =>
    io.sendMessages(to, messages, 'datagram', fill);
  const sendStream = (to: Addr, messages: Message[]) => io.sendMessages(to, messages, 'stream', false);
  const rumor = (m: Message) => dissemination.rumor(m);
  const announce = (m: Message, at: number) => dissemination.announce(m, at);
  const badRecord = (detail: string) => {
    io.drop('bad-record');
    out.event({ type: 'dropped', reason: 'bad-record', detail });
  };

  const io: PacketIO = new PacketIO(
    {
      stats,
      cluster: () => settings.config.cluster,
      maxPacketBytes: () => settings.config.maxPacketBytes,
      sender: () => ({ name: id.name, generation: membership.generation, addr: id.addr }),
      fill: (budget, framedSize) => dissemination.fill(budget, framedSize),
      transmit: (to, bytes, channel) => out.send(to, bytes, channel),
    },
    id.keyring,
  );
  const membership = new Membership(
    id,
    {
      ...ctx,
      tree,
      suspicions,
      health,
      rumor,
      announce,
      peerGone: (name) => dissemination.peerGone(name),
      reaped: (name) => io.forget(name),
      badRecord,
    },
    stores.members,
    stores.viewHash,
    now,
  );
  const prober = new Prober(
    {
      ...ctx,
      name: id.name,
      table: membership.table,
      health,
      send: (to, messages) => send(to, messages, true),
      sendStream,
      // Buddy system (Lifeguard): tell a suspect it is suspected so it can refute at once.
      pingExtras: (target, at) =>
        target.state === 'suspect' ? [memberMessage(target, id.name, localRumor(id.name, at))] : [],
      acked: (target, ms) => out.event({ type: 'probe-rtt', target, ms }),
      probeFailed: (target, at, refused) => membership.probeFailed(target, at, refused),
      wake: (at) => ctx.schedule(at, { kind: 'probe' }),
    },
    now,
  );
  const dissemination: Dissemination = new Dissemination(
    {
      ...ctx,
      membership,
      encode: (m) => io.encode(m),
      send: (to, messages, fill) => io.send(to, messages, 'datagram', fill),
    },
    now,
  );
  const data = new ReplicatedData(
    {
      ...ctx,
      name: id.name,
      tree,
      generation: () => membership.generation,
      rumor,
      announce,
      badRecord,
    },
    stores.kv,
  );
  const antiEntropy: AntiEntropyDriver = new AntiEntropyDriver(
    { ...ctx, membership, send: (to, messages) => sendStream(to, messages) },
    replicatedState(
      tree,
      membership,
      data,
      () => antiEntropy.applyingFrom,
      (rec, from) => {
        const ok = memberAddrAllowed(io.encrypted, rec, from, undefined);
        if (!ok) io.drop('unverified-addr');
        return ok;
      },
    ),
    now,
  );
  const queries = new Queries({
    ...ctx,
    name: id.name,
    addr: id.addr,
    generation: () => membership.generation,
    self: () => membership.self(),
    liveAddr: (name) => {
      const r = membership.get(name)?.record;
      return r && isLive(r.state) ? r.addr : undefined;
    },
    rumor,
    announce,
    reply: (to, m) => send(to, [m], false),
  });
  const maintenance = { earliestAt: now + MAINTENANCE_MS, latestAt: now + MAINTENANCE_MS };
  ctx.schedule(maintenance.latestAt, { kind: 'maintain' });
  return {
    settings,
    maintenance,
    timers,
    tree,
    health,
    suspicions,
    io,
    membership,
    prober,
    dissemination,
    data,
    antiEntropy,
    queries,
  };
}

/**
 * New tunables without a restart (hot reload). The cluster name cannot change live: it is part of
 * every packet, and a node switching alone would cut itself off.
 */
export function reconfigureNode(p: NodeParts, config: EngineConfig, now: number): void {
  const old = p.settings.config;
  if (config.cluster !== old.cluster) {
    throw new RangeError(`cluster cannot change without a restart (${old.cluster} → ${config.cluster})`);
  }
  p.settings.config = config;
  p.health.setMax(config.awarenessMaxMultiplier);
  p.data.reconfigure(config);
  p.queries.reconfigure(config);
  // Shorter periods take effect now rather than after the old, longer wait.
  p.prober.reschedule(now);
  p.dissemination.reconfigure(config, now);
  p.antiEntropy.reconfigure(config, now);
}
