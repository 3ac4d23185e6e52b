// The simulator's experiments. Each builds a Simulator, schedules its disturbance, watches the nodes'
// CoreEvents and returns one flat report (fields that do not apply to the scenario are null).
import { type EngineConfig, resolveEngineConfig } from '../config/engine-schema.js';
import type { CoreEvent, Rng } from '../core/types.js';
import { createRng } from '../runtime/rng.js';
import type { KvEntry } from '../wire/messages.js';
import { boundRounds, coverageTime, round3 } from './sim-metrics.js';
import { DEFAULT_NETWORK } from './sim-network.js';
import { SIM_EPOCH_MS, Simulator, simName } from './simulator.js';

export const SCENARIOS = ['rumor', 'failure', 'partition', 'antientropy'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioOptions {
  scenario: ScenarioName;
  nodes: number;
  seed: number;
  fanout: number;
  /** Datagram loss probability. */
  loss: number;
  /** Virtual seconds to run; a per-scenario default when omitted. */
  durationS?: number;
  /** partition: how long the halves stay apart. */
  partitionS: number;
  /** antientropy: entries every node starts with. */
  keys: number;
  /** antientropy: entries newer on one node than everywhere else. */
  divergent: number;
  /** Extra engine settings, merged over the scenario's (e.g. { probeIntervalMs: 500 }). */
  engine?: Record<string, unknown>;
}

export const DEFAULT_SCENARIO_OPTIONS: Omit<ScenarioOptions, 'scenario' | 'nodes'> = {
  seed: 1,
  fanout: 3,
  loss: 0,
  partitionS: 20,
  keys: 10_000,
  divergent: 1,
};

export interface SimReport {
  nodes: number;
  scenario: ScenarioName;
  seed: number;
  fanout: number;
  loss: number;
  /** Whether local updates were also mailed straight to peers (on by default; rumor spreads faster). */
  direct_mail: boolean;
  gossip_interval_ms: number;
  /** rumor: nodes that received the event (origin included). */
  informed: number | null;
  /** rumor: hops (transmissions on the path from the origin) by which 99.9 % / 100 % were informed. */
  hops_p999: number | null;
  hops_p100: number | null;
  /** rumor: elapsed time until 99.9 % / 100 % informed, in gossip intervals (not hops). */
  rounds_p999: number | null;
  rounds_p100: number | null;
  time_p999_s: number | null;
  time_p100_s: number | null;
  /** The push bound log_{f+1} N + ln N / f, in hops. */
  bound_rounds: number;
  /** Direct-mail packets (first sends, retries and acks) per node per virtual second. */
  mail_packets_per_node_per_s: number;
  /** Direct-mail packets (first sends, retries and acks) of all nodes over the run. */
  mail_packets: number;
  /** Packets handed to the network per node per virtual second, all channels and message types. */
  msgs_per_node_per_s: number;
  /** Protocol messages (several may share a packet) per node per virtual second, from CoreStats. */
  protocol_msgs_per_node_per_s: number;
  bytes_per_node_per_s: number;
  /** (observer, member) pairs where a member the simulator never killed was declared dead. */
  false_deaths: number;
  /**
   * partition: death declarations from the partition's start until heal_s (expected effects of the
   * partition, so not in false_deaths; deaths after heal_s are). Counts declarations, not pairs.
   */
  partition_deaths: number | null;
  detect_first_s: number | null;
  detect_last_s: number | null;
  partition_s: number | null;
  /** partition: seconds from the heal until every live node first sees every other node alive. */
  heal_s: number | null;
  /** partition: seconds from the heal until the last time that became true (null if not true at the end). */
  heal_stable_s: number | null;
  keys: number | null;
  divergent: number | null;
  /** antientropy: time from start until every live node held every divergent entry. */
  repair_s: number | null;
  /**
   * antientropy: bytes all nodes sent on the stream channel (anti-entropy is its only user) from the
   * start until repair_s, both directions, exchanges that found nothing to repair included.
   */
  antientropy_bytes: number | null;
  /** antientropy: exchanges completed (each side that finishes one reports it) until repair_s. */
  antientropy_exchanges: number | null;
  /**
   * antientropy: bytes of just the exchanges that repaired something, until repair_s, as reported by
   * the repaired side's 'anti-entropy' event (its sent + received bytes of that session).
   */
  antientropy_repair_bytes: number | null;
  packets_dropped: { loss: number; partition: number; dead: number };
  virtual_s: number;
  wall_s: number;
}

const DEFAULT_DURATION_S: Record<ScenarioName, (o: ScenarioOptions) => number> = {
  rumor: () => 30,
  failure: () => 60,
  partition: (o) => 2 + o.partitionS + 60,
  antientropy: () => 30,
};

const RUMOR_AT_MS = 1_000;
const DISTURB_AT_MS = 2_000;
const RUMOR_EVENT = 'sim-rumor';

/** Engine settings for a scenario; throws ConfigError (from the schema) on bad values. */
export function scenarioConfig(o: ScenarioOptions): EngineConfig {
  const engine = o.engine ?? {};
  const antiEntropy =
    o.scenario === 'antientropy'
      ? { intervalMs: 1_000, ...((engine.antiEntropy as object | undefined) ?? {}) }
      : engine.antiEntropy;
  return resolveEngineConfig({
    ...engine,
    gossipFanout: o.fanout,
    ...(antiEntropy === undefined ? {} : { antiEntropy }),
  });
}

export function runScenario(o: ScenarioOptions): SimReport {
  const wallStart = performance.now();
  const config = scenarioConfig(o);
  const n = o.nodes;
  const durationS = o.durationS ?? DEFAULT_DURATION_S[o.scenario](o);
  if (!(durationS > 0)) throw new RangeError('duration must be positive');
  const t0 = SIM_EPOCH_MS;

  // --- observations, filled by the event listener ---------------------------------------------
  const informedAt = new Float64Array(n).fill(Number.NaN);
  const informedHops = new Float64Array(n).fill(Number.NaN);
  let firedAt = Number.NaN;
  let victim = -1;
  let killedAt = Number.NaN;
  const detectedAt = new Float64Array(n).fill(Number.NaN);
  let detectedCount = 0;
  const falseDeaths = new Set<number>();
  let partitionDeaths = 0;
  let partitionFrom = Number.POSITIVE_INFINITY;
  let partitionUntil = Number.NEGATIVE_INFINITY;
  const half = Math.floor(n / 2);
  // The partition scenario keeps an N × N table of beliefs, the antientropy one N × K flags.
  if (o.scenario === 'partition' && n > 20_000) throw new RangeError('partition: at most 20,000 nodes');
  if (o.scenario === 'antientropy' && n * o.divergent > 200_000_000)
    throw new RangeError('antientropy: nodes × divergent must be at most 200,000,000');
  // partition: what each observer believes of each member (0 alive, 1 otherwise), and how many
  // members each observer currently sees not alive.
  const notAlive = o.scenario === 'partition' ? new Uint8Array(n * n) : null;
  const notAliveCount = new Int32Array(n);
  let observersWithDoubts = 0;
  /** First and last times after the heal at which no observer saw any member not alive. */
  let healedAt = Number.NaN;
  let lastHealedAt = Number.NaN;
  // antientropy
  let divergentNode = -1;
  const divergentKeys = new Map<string, number>();
  const holds = o.scenario === 'antientropy' ? new Uint8Array(n * Math.max(1, o.divergent)) : null;
  const holdCount = new Int32Array(n);
  let nodesRepaired = 0;
  let repairedAt = Number.NaN;
  let aeExchanges = 0;
  let aeRepairBytes = 0;
  let aeBytesAtRepair = Number.NaN;
  let aeExchangesAtRepair = Number.NaN;

  let sim: Simulator | null = null;

  const onEvent = (observer: number, e: CoreEvent, now: number): void => {
    switch (e.type) {
      case 'user-event':
        if (e.name === RUMOR_EVENT && Number.isNaN(informedAt[observer] as number)) {
          informedAt[observer] = now;
          informedHops[observer] = e.rumor.hops;
        }
        break;
      case 'member': {
        const m = sim?.indexOf(e.member.name);
        if (m === undefined) break;
        if (e.member.state === 'dead') {
          if (m === victim && now >= killedAt) {
            if (Number.isNaN(detectedAt[observer] as number)) {
              detectedAt[observer] = now;
              detectedCount++;
            }
          } else {
            const pair = observer * n + m;
            // A partition's deaths, and their echoes until everyone sees everyone alive again, are
            // the expected effect of the partition, not false positives of the detector.
            const afterEffect = now >= partitionFrom && !(now >= healedAt);
            if (afterEffect) partitionDeaths++;
            else falseDeaths.add(pair);
          }
        }
        if (notAlive) {
          const cell = observer * n + m;
          const was = notAlive[cell] as number;
          const is = e.member.state === 'alive' ? 0 : 1;
          if (was !== is) {
            notAlive[cell] = is;
            const before = notAliveCount[observer] as number;
            const after = before + is - was;
            notAliveCount[observer] = after;
            if (before === 0 && after > 0) observersWithDoubts++;
            if (before > 0 && after === 0) {
              observersWithDoubts--;
              if (observersWithDoubts === 0 && now >= partitionUntil) {
                if (Number.isNaN(healedAt)) healedAt = now;
                lastHealedAt = now;
              }
            }
          }
        }
        break;
      }
      case 'kv': {
        if (!holds) break;
        const k = divergentKeys.get(e.key);
        const want = k === undefined ? undefined : divergentEntries[k]?.value;
        if (k === undefined || !want || e.value === null || !sameBytes(e.value, want)) break;
        const cell = observer * o.divergent + k;
        if (holds[cell] === 1) break;
        holds[cell] = 1;
        holdCount[observer] = (holdCount[observer] as number) + 1;
        if (holdCount[observer] === o.divergent) {
          nodesRepaired++;
          if (nodesRepaired === n && Number.isNaN(repairedAt)) {
            repairedAt = now;
            aeBytesAtRepair = sim?.network.counters.streamBytes ?? Number.NaN;
            aeExchangesAtRepair = aeExchanges;
          }
        }
        break;
      }
      case 'anti-entropy':
        aeExchanges++;
        if (e.repaired > 0 && Number.isNaN(repairedAt)) aeRepairBytes += e.bytes;
        break;
      default:
        break;
    }
  };

  // --- initial state ---------------------------------------------------------------------------
  const kv: KvEntry[] = [];
  const divergentEntries: KvEntry[] = [];
  if (o.scenario === 'antientropy') {
    if (!Number.isInteger(o.keys) || o.keys < 1) throw new RangeError('keys must be a positive integer');
    if (!Number.isInteger(o.divergent) || o.divergent < 1 || o.divergent > o.keys)
      throw new RangeError('divergent must be an integer in [1, keys]');
    for (let k = 0; k < o.keys; k++)
      kv.push({ key: `key-${k}`, value: valueBytes(k, 0), clock: 1, writer: simName(0), at: t0 });
    const pickRng = createRng((o.seed ^ 0x5eed_ae) >>> 0);
    divergentNode = pickRng.int(n);
    for (const keyIndex of pickDistinct(pickRng, o.keys, o.divergent)) {
      const entry = kv[keyIndex] as KvEntry;
      divergentKeys.set(entry.key, divergentEntries.length);
      divergentEntries.push({
        ...entry,
        value: valueBytes(keyIndex, 1),
        clock: 2,
        writer: simName(divergentNode),
      });
    }
  }

  sim = new Simulator({
    nodes: n,
    seed: o.seed,
    config,
    network: { ...DEFAULT_NETWORK, loss: o.loss },
    kv,
    onEvent,
  });
  const s = sim;

  if (o.scenario === 'antientropy') {
    // The divergence: one node gets `divergent` entries at a newer Lamport clock written straight
    // into its stores, without rumor or direct mail (as if every rumor about it had been lost).
    // Only anti-entropy can carry them to the others.
    for (const entry of divergentEntries) s.injectDivergentKv(divergentNode, entry);
  }

  // --- the disturbance -------------------------------------------------------------------------
  if (o.scenario === 'rumor') {
    const origin = s.rng.int(n);
    s.at(t0 + RUMOR_AT_MS, () => {
      firedAt = s.now;
      informedAt[origin] = s.now;
      informedHops[origin] = 0;
      s.withNode(origin, (node, now) =>
        node.fireEvent(RUMOR_EVENT, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), now),
      );
    });
  } else if (o.scenario === 'failure') {
    victim = s.rng.int(n);
    s.at(t0 + DISTURB_AT_MS, () => {
      killedAt = s.now;
      s.kill(victim);
    });
  } else if (o.scenario === 'partition') {
    if (!(o.partitionS > 0)) throw new RangeError('partition-s must be positive');
    partitionFrom = t0 + DISTURB_AT_MS;
    partitionUntil = partitionFrom + o.partitionS * 1000;
    const sides = [range(0, half), range(half, n)];
    s.at(partitionFrom, () => s.network.partition(sides));
    s.at(partitionUntil, () => {
      s.network.heal();
      if (observersWithDoubts === 0) {
        healedAt = s.now;
        lastHealedAt = s.now;
      }
    });
  }

  s.runUntil(t0 + durationS * 1000);

  // --- the report ------------------------------------------------------------------------------
  const virtualS = durationS;
  let packets = 0;
  let bytes = 0;
  let protocolMsgs = 0;
  let mailPackets = 0;
  for (let i = 0; i < n; i++) {
    packets += s.network.packetsSent[i] as number;
    bytes += s.network.bytesSent[i] as number;
    const st = s.node(i).stats;
    mailPackets += st.directMailSent + st.directMailRetries + (st.messagesSent['mail-ack'] ?? 0);
    for (const count of Object.values(s.node(i).stats.messagesSent)) protocolMsgs += count ?? 0;
  }
  const perNodePerS = (x: number) => round3(x / n / virtualS) as number;
  const gossipMs = config.gossipIntervalMs;
  const sinceFire = (t: number | null) => (t === null || Number.isNaN(firedAt) ? null : t - firedAt);
  const rumor = o.scenario === 'rumor';
  const t999 = rumor ? sinceFire(coverageTime(informedAt, 0.999)) : null;
  const t100 = rumor ? sinceFire(coverageTime(informedAt, 1)) : null;
  let informed = 0;
  for (const t of informedAt) if (!Number.isNaN(t)) informed++;

  const failure = o.scenario === 'failure';
  let detectFirst: number | null = null;
  let detectLast: number | null = null;
  if (failure) {
    const live = n - 1;
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const t = detectedAt[i] as number;
      if (i === victim || Number.isNaN(t)) continue;
      first = Math.min(first, t);
      last = Math.max(last, t);
    }
    if (detectedCount > 0) detectFirst = (first - killedAt) / 1000;
    if (detectedCount >= live && live > 0) detectLast = (last - killedAt) / 1000;
  }

  const ae = o.scenario === 'antientropy';
  return {
    nodes: n,
    scenario: o.scenario,
    seed: o.seed,
    fanout: o.fanout,
    loss: o.loss,
    direct_mail: config.directMail.enabled,
    gossip_interval_ms: config.gossipIntervalMs,
    informed: rumor ? informed : null,
    hops_p999: rumor ? coverageTime(informedHops, 0.999) : null,
    hops_p100: rumor ? coverageTime(informedHops, 1) : null,
    rounds_p999: rumor && t999 !== null ? round3(t999 / gossipMs) : null,
    rounds_p100: rumor && t100 !== null ? round3(t100 / gossipMs) : null,
    time_p999_s: t999 === null ? null : round3(t999 / 1000),
    time_p100_s: t100 === null ? null : round3(t100 / 1000),
    bound_rounds: round3(boundRounds(n, o.fanout)) as number,
    mail_packets_per_node_per_s: perNodePerS(mailPackets),
    mail_packets: mailPackets,
    msgs_per_node_per_s: perNodePerS(packets),
    protocol_msgs_per_node_per_s: perNodePerS(protocolMsgs),
    bytes_per_node_per_s: perNodePerS(bytes),
    false_deaths: falseDeaths.size,
    partition_deaths: o.scenario === 'partition' ? partitionDeaths : null,
    detect_first_s: round3(detectFirst),
    detect_last_s: round3(detectLast),
    partition_s: o.scenario === 'partition' ? o.partitionS : null,
    heal_s:
      o.scenario === 'partition' && !Number.isNaN(healedAt)
        ? round3((healedAt - partitionUntil) / 1000)
        : null,
    heal_stable_s:
      o.scenario === 'partition' && observersWithDoubts === 0 && !Number.isNaN(lastHealedAt)
        ? round3((lastHealedAt - partitionUntil) / 1000)
        : null,
    keys: ae ? o.keys : null,
    divergent: ae ? o.divergent : null,
    repair_s: ae && !Number.isNaN(repairedAt) ? round3((repairedAt - t0) / 1000) : null,
    antientropy_bytes: ae && !Number.isNaN(aeBytesAtRepair) ? aeBytesAtRepair : null,
    antientropy_exchanges: ae && !Number.isNaN(aeExchangesAtRepair) ? aeExchangesAtRepair : null,
    antientropy_repair_bytes: ae && !Number.isNaN(repairedAt) ? aeRepairBytes : null,
    packets_dropped: {
      loss: s.network.counters.droppedLoss,
      partition: s.network.counters.droppedPartition,
      dead: s.network.counters.droppedDead,
    },
    virtual_s: virtualS,
    wall_s: round3((performance.now() - wallStart) / 1000) as number,
  };
}

function valueBytes(key: number, version: number): Uint8Array {
  const v = new Uint8Array(16);
  new DataView(v.buffer).setUint32(0, key);
  v[4] = version;
  return v;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `count` distinct integers from [0, n), in the order drawn (partial Fisher–Yates). */
function pickDistinct(rng: Rng, n: number, count: number): number[] {
  const swapped = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(n - i);
    const pick = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    out.push(pick);
  }
  return out;
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}
