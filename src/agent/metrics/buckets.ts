// Histogram buckets, in seconds (or hops), chosen from measured distributions (docs/benchmarks.md,
// scripts/bench-memory.ts): on one host a user event reached agents of a 6-node cluster in 6 ms
// (median) and 43 ms (max), so the old first bucket of 10 ms held half of all observations. Spread
// and convergence now start at 0.5 ms (a LAN hop) and reach 5 minutes (large clusters, lossy
// networks, suspicion timeouts); probe round trips are sub-millisecond to the probe timeout.
export const SPREAD_SECONDS_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
];
export const CONVERGENCE_SECONDS_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600,
];
export const PROBE_RTT_SECONDS_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];
/** One bucket per hop count 0..16; more hops than that fall into +Inf. */
export const HOP_BUCKETS = Array.from({ length: 17 }, (_, i) => i);
