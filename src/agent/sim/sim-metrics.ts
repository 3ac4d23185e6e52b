// Small pure helpers that turn per-node observations into the simulator's figures.

/**
 * Time by which at least `fraction` of all nodes were reached: the ceil(fraction × n)-th smallest
 * of `times` (NaN = never reached). Null when that many nodes were never reached.
 */
export function coverageTime(times: Float64Array, fraction: number): number | null {
  if (fraction <= 0 || fraction > 1) throw new RangeError('fraction must be in (0, 1]');
  const n = times.length;
  if (n === 0) return null;
  const need = Math.ceil(fraction * n - 1e-9);
  const reached: number[] = [];
  for (const t of times) if (!Number.isNaN(t)) reached.push(t);
  if (reached.length < need) return null;
  reached.sort((a, b) => a - b);
  return reached[need - 1] as number;
}

/**
 * Expected rounds for a push rumor to reach everyone: log_{f+1}(N) + ln(N)/f
 * (Pittel-style bound for fanout f: exponential growth phase plus the coupon-collector tail).
 */
export function boundRounds(n: number, fanout: number): number {
  if (n <= 1) return 0;
  return Math.log(n) / Math.log(fanout + 1) + Math.log(n) / fanout;
}

/** Largest relative deviation of any value from the mean of all values (0.1 = 10 %). */
export function maxRelativeDeviation(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  if (mean === 0) return 0;
  return Math.max(...values.map((v) => Math.abs(v - mean) / mean));
}

/** Rounds to 3 decimals so JSON output stays readable and byte-stable. */
export function round3(x: number | null): number | null {
  return x === null ? null : Math.round(x * 1000) / 1000;
}
