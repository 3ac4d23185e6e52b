// One log line per kind of incident per interval: the first is written at once, the rest are only
// counted and reported as `suppressed` on the next line of that kind, so a flood of hostile
// connections or packets costs a few log lines, not one per attempt.

export interface RateLimitedLogOptions {
  /** Minimum time between two lines of the same kind. Default 10 s. */
  intervalMs?: number;
  /** Default Date.now (injectable for tests). */
  now?: () => number;
  /** Most distinct kinds remembered (oldest forgotten first). Default 1,000. */
  maxKinds?: number;
}

export type LogWrite = (fields: Record<string, unknown>, msg: string) => void;

export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly maxKinds: number;

  constructor(
    private readonly write: LogWrite,
    opts: RateLimitedLogOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 10_000;
    this.now = opts.now ?? Date.now;
    this.maxKinds = opts.maxKinds ?? 1_000;
  }

  /** Writes `msg` unless a line of this kind was written within the interval; true if written. */
  log(kind: string, fields: Record<string, unknown>, msg: string): boolean {
    const now = this.now();
    const seen = this.last.get(kind);
    if (seen !== undefined && now - seen.at < this.intervalMs) {
      seen.suppressed++;
      return false;
    }
    const suppressed = seen?.suppressed ?? 0;
    this.last.delete(kind);
    this.last.set(kind, { at: now, suppressed: 0 });
    for (const k of this.last.keys()) {
      if (this.last.size <= this.maxKinds) break;
      this.last.delete(k);
    }
    this.write(suppressed > 0 ? { ...fields, suppressed } : fields, msg);
    return true;
  }
}
