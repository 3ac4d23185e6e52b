// Fakes for driving one core module through its small host interface: a seeded rng, recording
// callbacks and a real Membership over plain stores (modules that take a Membership get a real one).
import { type EngineConfig, resolveEngineConfig } from '../../src/agent/config/engine-schema.js';
import type { Timer } from '../../src/agent/core/deadlines.js';
import { LocalHealth } from '../../src/agent/core/local-health.js';
import { MemberTable } from '../../src/agent/core/member-table.js';
import { Membership, type MembershipHost } from '../../src/agent/core/membership.js';
import { Prober } from '../../src/agent/core/prober.js';
import { Suspicions } from '../../src/agent/core/suspicions.js';
import { type CoreEvent, type CoreStats, emptyStats, type Rng } from '../../src/agent/core/types.js';
import { createRng } from '../../src/agent/runtime/rng.js';
import { DigestTree } from '../../src/agent/state/digest-tree.js';
import { ZERO_HASH } from '../../src/agent/state/hash64.js';
import type { Addr, MemberRecord, Message } from '../../src/agent/wire/messages.js';

export const T0 = 1_767_225_600_000;

export function lcg(seed: number): Rng {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return { next, int: (n: number) => Math.floor(next() * n) };
}

export function addrOf(name: string): string {
  const i = Number(name.replace(/\D/g, '') || 0);
  return `10.0.${i >> 8}.${i & 255}:7946`;
}

export function member(name: string, over: Partial<MemberRecord> = {}): MemberRecord {
  return { name, addr: addrOf(name), generation: T0, incarnation: 0, state: 'alive', tags: {}, ...over };
}

/** What a fake host was told. */
export interface Recorded {
  events: CoreEvent[];
  rumors: Message[];
  announced: Message[];
  timers: Array<{ at: number; timer: Timer }>;
  gone: string[];
  reaped: string[];
  badRecords: number;
}

export function recorder(): Recorded {
  return { events: [], rumors: [], announced: [], timers: [], gone: [], reaped: [], badRecords: 0 };
}

export interface MembershipFixture {
  membership: Membership;
  host: MembershipHost;
  rec: Recorded;
  tree: DigestTree;
  table: MemberTable;
  stats: CoreStats;
  suspicions: Suspicions;
  /** Suspicion deadlines handed to the timer heap, by name. */
  deadlines: Map<string, number>;
}

export function membershipFixture(
  self = 'n0',
  opts: { config?: EngineConfig; peers?: string[]; now?: number } = {},
): MembershipFixture {
  const config = opts.config ?? resolveEngineConfig({});
  const rec = recorder();
  const tree = new DigestTree();
  const table = new MemberTable();
  const stats = emptyStats();
  const deadlines = new Map<string, number>();
  const suspicions = new Suspicions((at, name) => deadlines.set(name, at));
  const host: MembershipHost = {
    tree,
    suspicions,
    health: new LocalHealth(config.awarenessMaxMultiplier),
    stats,
    config: () => config,
    event: (e) => rec.events.push(e),
    rumor: (m) => rec.rumors.push(m),
    announce: (m) => rec.announced.push(m),
    peerGone: (name) => rec.gone.push(name),
    reaped: (name) => rec.reaped.push(name),
    badRecord: () => rec.badRecords++,
  };
  const now = opts.now ?? T0;
  const membership = new Membership(
    { name: self, addr: addrOf(self), generation: T0, tags: {} },
    host,
    table,
    ZERO_HASH,
    now,
  );
  for (const p of opts.peers ?? []) membership.apply(member(p), p, 'rumor', null, now);
  rec.events.length = 0;
  rec.rumors.length = 0;
  return { membership, host, rec, tree, table, stats, suspicions, deadlines };
}

export interface ProberFixture {
  prober: Prober;
  health: LocalHealth;
  stats: CoreStats;
  /** Every send, with the fixture's clock and whether it went on the stream (the fallback probe). */
  sent: Array<{ at: number; to: Addr; m: Message[]; stream: boolean }>;
  failed: Array<{ at: number; target: string }>;
  /** Ticks the prober at each of its own deadlines up to `until`; returns the later of the last tick and `until`. */
  runTo(until: number): number;
}

/** A Prober named `self` over a table of `members`, every send and failure recorded; time starts at 0. */
export function proberFixture(config: EngineConfig, self: string, members: MemberRecord[]): ProberFixture {
  const table = new MemberTable();
  for (const record of members) table.set({ record, changedAt: 0 });
  const sent: ProberFixture['sent'] = [];
  const failed: ProberFixture['failed'] = [];
  const health = new LocalHealth(config.awarenessMaxMultiplier);
  const stats = emptyStats();
  let clock = 0;
  const prober = new Prober(
    {
      name: self,
      table,
      health,
      stats,
      rng: createRng(11),
      config: () => config,
      send: (to, m) => sent.push({ at: clock, to, m, stream: false }),
      sendStream: (to, m) => sent.push({ at: clock, to, m, stream: true }),
      pingExtras: () => [],
      acked: () => {},
      probeFailed: (target, at) => failed.push({ at, target }),
      wake: () => {},
    },
    0,
  );
  const runTo = (until: number): number => {
    while (prober.nextDeadline() <= until) {
      clock = prober.nextDeadline();
      prober.tick(clock);
    }
    clock = Math.max(clock, until);
    return clock;
  };
  return { prober, health, stats, sent, failed, runTo };
}
