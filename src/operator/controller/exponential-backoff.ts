// Doubling delays with a ceiling: the retry policy shared by the work queue (per key) and the informer
// restarts (one sequence per informer).

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/** Delay before retry number `failures` (0-based): base·2^failures, capped at max. */
export function backoffDelay(failures: number, { baseMs, maxMs }: BackoffOptions): number {
  // Cap the exponent too: 2^1100 is Infinity and base·Infinity would defeat the ceiling for base 0.
  const exp = Math.min(failures, 60);
  return Math.min(maxMs, baseMs * 2 ** exp);
}

/** One retry sequence: each next() returns the following delay; reset() starts over after a success. */
export class ExponentialBackoff {
  private failures = 0;

  constructor(private readonly options: BackoffOptions) {}

  next(): number {
    const delay = backoffDelay(this.failures, this.options);
    this.failures++;
    return delay;
  }

  reset(): void {
    this.failures = 0;
  }

  get attempts(): number {
    return this.failures;
  }
}
