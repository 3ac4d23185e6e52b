// De-duplication of user events, identified by (origin, generation, seq), in bounded memory.
//
// Per origin we keep the generation, the highest seq below which everything counts as seen
// (`floor`), and the seqs seen above it. Memory is bounded three ways, each trading exactness:
// - at most `maxPendingPerOrigin` seqs above the floor: beyond that the floor jumps to the lowest of
//   them, so an event from a skipped gap that arrives later is treated as a duplicate (dropped);
// - origins not heard from for `forgetAfterMs` are forgotten, and at most `maxOrigins` are tracked
//   (least recently seen evicted first): an event re-seen after its origin was forgotten is
//   delivered again. Rumors stop circulating well within forgetAfterMs, so choose it larger than
//   the rumor lifetime;
// - an event of an older generation than the one tracked is dropped (the origin has restarted).
// A newly tracked origin starts with floor 0 (seqs begin at 1), so its earlier events that gossip
// delivers late are still delivered once; a late joiner holds them in the bounded set above.

export const DEFAULT_EVENT_DEDUPE_MAX_ORIGINS = 100_000;
export const DEFAULT_EVENT_DEDUPE_MAX_PENDING = 256;

export interface EventDedupeOptions {
  forgetAfterMs: number;
  maxOrigins: number;
  maxPendingPerOrigin?: number;
}

interface OriginWindow {
  generation: number;
  /** Every seq <= floor counts as seen. */
  floor: number;
  above: Set<number>;
  lastSeen: number;
}

export class EventDedupe {
  // Map iteration order is insertion order; touching an origin re-inserts it, so the first entries
  // are the least recently seen and pruning only looks at the front.
  private readonly origins = new Map<string, OriginWindow>();
  /** Mutable for hot reload of the retention that sets it. */
  forgetAfterMs: number;
  private maxOrigins: number;
  private maxPending: number;

  constructor(options: EventDedupeOptions) {
    this.forgetAfterMs = options.forgetAfterMs;
    this.maxOrigins = Math.max(1, options.maxOrigins);
    this.maxPending = Math.max(1, options.maxPendingPerOrigin ?? DEFAULT_EVENT_DEDUPE_MAX_PENDING);
  }

  /** Changes the bounds (config, hot reload); the origins over a lowered maxOrigins go at the next event. */
  setLimits(maxOrigins: number, maxPendingPerOrigin: number): void {
    this.maxOrigins = Math.max(1, maxOrigins);
    this.maxPending = Math.max(1, maxPendingPerOrigin);
  }

  /** What the bounds cost: origins forgotten over maxOrigins, gaps given up over maxPendingPerOrigin. */
  readonly dropped = { evictedOrigins: 0, skippedGaps: 0 };

  get trackedOrigins(): number {
    return this.origins.size;
  }

  /** True the first time an event is seen (deliver it), false for a duplicate or stale one. */
  firstTime(origin: string, generation: number, seq: number, now: number): boolean {
    this.prune(now);
    let w = this.origins.get(origin);
    if (w !== undefined) this.origins.delete(origin);
    if (w === undefined || generation > w.generation) {
      // Start below every seq (they begin at 1): gossip may deliver this origin's earlier events
      // after this one, and they are just as new to us.
      w = { generation, floor: 0, above: new Set(), lastSeen: now };
      this.origins.set(origin, w);
      this.evictOverCap();
    } else {
      w.lastSeen = now;
      this.origins.set(origin, w);
    }
    if (generation < w.generation || seq <= w.floor || w.above.has(seq)) return false;
    if (seq === w.floor + 1) {
      w.floor = seq;
      while (w.above.delete(w.floor + 1)) w.floor++;
    } else {
      w.above.add(seq);
      if (w.above.size > this.maxPending) this.skipGap(w);
    }
    return true;
  }

  /** Forgets origins not heard from for forgetAfterMs. */
  prune(now: number): void {
    for (const [origin, w] of this.origins) {
      if (now - w.lastSeen <= this.forgetAfterMs) break;
      this.origins.delete(origin);
    }
  }

  private evictOverCap(): void {
    for (const origin of this.origins.keys()) {
      if (this.origins.size <= this.maxOrigins) break;
      this.origins.delete(origin);
      this.dropped.evictedOrigins++;
    }
  }

  /** Gives up on the lowest gap: moves the floor to the lowest pending seq and absorbs what follows. */
  private skipGap(w: OriginWindow): void {
    let min = Number.POSITIVE_INFINITY;
    for (const s of w.above) if (s < min) min = s;
    w.floor = min;
    w.above.delete(min);
    this.dropped.skippedGaps++;
    while (w.above.delete(w.floor + 1)) w.floor++;
  }
}
