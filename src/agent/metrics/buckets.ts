// Histogram buckets, in seconds (or hops). Gossip spreads in O(log n) rounds of ~200 ms, so rumor
// spread and convergence live between ~10 ms (a LAN hop) and about a minute (large clusters,
// suspicion timeouts); probe round trips are sub-millisecond to the probe timeout (~500 ms).
export const SPREAD_SECONDS_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60];
export const CONVERGENCE_SECONDS_BUCKETS = [
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120,
];
export const PROBE_RTT_SECONDS_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];
/** One bucket per hop count 0..16; more hops than that fall into +Inf. */
export const HOP_BUCKETS = Array.from({ length: 17 }, (_, i) => i);
