// What crosses the boundary between the host-side benchmark and the driver that runs one cluster
// inside its own network namespace: the run's spec in, the measured figures out.
export type SystemName = 'grapevine' | 'serf';

export interface RunSpec {
  system: SystemName;
  n: number;
  /**
   * 'figures': join, event, kill -9, leave, steady load. 'false-positives': loss + freezes.
   * 'trade-off': loss + freezes, then (faults removed) kill -9 detection, under `tuning`.
   */
  mode: 'figures' | 'false-positives' | 'trade-off';
  probeIntervalMs: number;
  /** Seconds of quiet traffic measured for bytes/s, CPU and RSS. */
  steadySeconds: number;
  /**
   * The quiet window starts no earlier than this long after the last agent was up: a Node process
   * spends its first ~30 s compiling (scripts/bench-steady-cpu.ts), which is start-up, not steady state.
   */
  warmUpSeconds: number;
  /** Give up on any single wait after this long. */
  waitTimeoutMs: number;
  /** false-positives and trade-off only. */
  fp?: { minutes: number; udpLossPercent: number; freezeMs: number; freezeEveryMs: number };
  /** Failure-detector settings other than the defaults (trade-off mode). */
  tuning?: Tuning;
  /** Absolute path of dist/cmd/grapevine.js. */
  grapevineCli: string;
  /** V8 flags for Grapevine agents besides the shipped AGENT_NODE_FLAGS (`--node-flags`). */
  grapevineNodeFlags?: string[];
}

/** Seconds; null when the run did not reach that point (the error says why). */
export interface RunFigures {
  joinFromFirstStartS: number | null;
  joinFromLastSpawnS: number | null;
  /** From the moment the last agent was up (its first log line / HTTP answered): protocol time only. */
  joinFromLastReadyS: number | null;
  /** From the first spawn until the last agent was up: process start-up cost. */
  startupS: number | null;
  eventToLastS: number | null;
  killDeadFirstS: number | null;
  killDeadMedianS: number | null;
  killDeadLastS: number | null;
  leaveLastS: number | null;
  steadyBytesPerSecPerAgent: number | null;
  cpuPercentPerAgent: number | null;
  rssMbPerAgent: number | null;
}

/** One point of the trade-off curve: the knobs each system has for its failure detector. */
export interface Tuning {
  /** Names the point in tables and plots, e.g. `mult 4, timeout 500 ms` or `profile lan`. */
  label: string;
  /** Grapevine: --suspicion-mult. */
  suspicionMult?: number;
  /** Grapevine: --probe-timeout-ms. */
  probeTimeoutMs?: number;
  /**
   * Serf: -profile. Its agent config has no probe or suspicion keys; the profiles are memberlist's
   * LAN, local and WAN configurations.
   */
  serfProfile?: SerfProfile;
}

export type SerfProfile = 'lan' | 'local' | 'wan';

/** Seconds from kill -9 to the first / median / last survivor marking the victim dead. */
export interface Detection {
  firstS: number;
  medianS: number;
  lastS: number;
}

export interface TradeOffPoint {
  tuning: Tuning;
  falsePositives: FalsePositiveCounts;
  detection: Detection;
}

export interface FalsePositiveCounts {
  /** Observer × member pairs that declared a live member failed/dead. */
  falseDeadDeclarations: number;
  /** Distinct members ever declared dead by someone, although none was killed. */
  membersFalselyDeclaredDead: number;
  /** Suspicions raised (Grapevine: suspicions_raised_total; Serf: 'Suspect X has failed' lines). */
  suspicionsRaised: number;
  freezes: number;
  minutes: number;
  udpLossPercent: number;
}

/** Counts reported besides the figures (why a figure looks the way it does). */
export interface RunNotes {
  /** Agents that saw the graceful leave as a failure (dead/failed) instead of `left`. */
  leaveSeenAsDead?: number;
  /** Dead/failed verdicts (observer × member) while the cluster was forming: nobody had died. */
  deathsWhileJoining?: number;
  /** Grapevine only (Serf's logs do not show suspicions received): suspect sightings while forming. */
  suspectSightingsWhileJoining?: number;
  /** The last few pairs to learn of each other while forming, with when each agent was up. */
  slowestJoins?: string[];
  /** Grapevine: anti-entropy sessions evicted by the time every agent saw every other. */
  sessionsEvictedWhileJoining?: { total: number; most: number; at: string };
  /** Grapevine: probes brought forward by a closed connection, summed, by the time all saw all. */
  probesBroughtForwardWhileJoining?: number;
  /**
   * Grapevine: fallback probes of the killed agent that survivors found refused until every survivor
   * marked it dead. 0 means the death was found by silence (Lifeguard's timeouts), not by a refusal.
   */
  killFallbackRefusals?: number;
  /**
   * Grapevine: probes of the killed agent brought forward because it closed a survivor's pooled TCP
   * connection, until every survivor marked it dead (0: none of them held one).
   */
  killProbesBroughtForward?: number;
  /**
   * Grapevine: seconds from the kill until the first survivor suspected the killed agent — the wait
   * for someone's probe to reach it plus one probe. The rest of the detection time came after.
   */
  killFirstSuspectS?: number;
  /** CPU-seconds the agents (all together) and the driver used until every agent saw every other. */
  cpuWhileJoiningS?: { agents: number; agentsUntilUp: number | null; driver: number };
}

export interface RunResult extends RunNotes {
  system: SystemName;
  n: number;
  run: number;
  figures?: RunFigures;
  falsePositives?: FalsePositiveCounts;
  /** trade-off mode; `tuning` is also set on a failed run. */
  tradeOff?: TradeOffPoint;
  tuning?: Tuning;
  error?: string;
}

export const FIGURE_LABELS: Record<keyof RunFigures, { label: string; unit: string }> = {
  joinFromFirstStartS: { label: 'join, from first start', unit: 's' },
  joinFromLastSpawnS: { label: 'join, from last agent spawned', unit: 's' },
  joinFromLastReadyS: { label: 'join, from last agent up', unit: 's' },
  startupS: { label: 'start-up: first spawn → last agent up', unit: 's' },
  eventToLastS: { label: 'user event → last agent', unit: 's' },
  killDeadFirstS: { label: 'kill -9 → first survivor marks dead', unit: 's' },
  killDeadMedianS: { label: 'kill -9 → median survivor marks dead', unit: 's' },
  killDeadLastS: { label: 'kill -9 → every survivor marks dead', unit: 's' },
  leaveLastS: { label: 'graceful leave → every survivor sees left', unit: 's' },
  steadyBytesPerSecPerAgent: { label: 'steady traffic per agent', unit: 'B/s' },
  cpuPercentPerAgent: { label: 'CPU per agent (steady)', unit: '%' },
  rssMbPerAgent: { label: 'RSS per agent', unit: 'MB' },
};
