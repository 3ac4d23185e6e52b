// Joins through seeds (a static list or a DNS name) and keeps retrying, with backoff, until the node
// has joined. A join is one push-pull exchange; when the seed is not listening yet (agents started
// together, a DaemonSet rolling out) that exchange is simply lost and the core would only try again
// at its reconnect interval (10 s by default), so the first retries come quickly.
import type { Addr } from '../wire/messages.js';

export interface SeedJoinerOptions {
  /** Where the seeds come from this attempt (a DNS lookup, or the static list). */
  lookup: () => Promise<Addr[]>;
  ownAddr: Addr;
  join: (seeds: Addr[]) => void;
  joined: () => boolean;
  /** Called with what each attempt found (for logs). */
  onAttempt?: (seeds: Addr[], error?: unknown) => void;
  /** Called when the lookup lists no peer but us: we are the first member. */
  onAlone?: () => void;
  /** First retry delay; doubles per attempt up to maxDelayMs. */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** After joining, one more exchange with the seeds this much later (0: none). */
  resyncAfterMs?: number;
}

/** Retry delays used by the agent: fast enough to catch a seed that starts a moment later. */
export const JOIN_RETRY_MIN_MS = 250;
export const JOIN_RETRY_MAX_MS = 8_000;
/**
 * Agents that join at the same moment each get the seed's view before the other is in it, and the
 * seed's rumor about each may go cold before it reaches the other; without a second exchange they
 * met only at the core's reconnect (10 s) or anti-entropy (15–45 s). Measured in issue 12.
 */
export const JOIN_RESYNC_MS = 1_000;

export class SeedJoiner {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private delay: number;

  constructor(private readonly o: SeedJoinerOptions) {
    this.delay = o.minDelayMs ?? JOIN_RETRY_MIN_MS;
  }

  start(): void {
    void this.attempt();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    if (this.o.joined()) {
      const resync = this.o.resyncAfterMs ?? JOIN_RESYNC_MS;
      if (resync > 0) this.timer = setTimeout(() => void this.resync(), resync);
      return;
    }
    try {
      const seeds = (await this.o.lookup()).filter((s) => s !== this.o.ownAddr);
      this.o.onAttempt?.(seeds);
      if (this.stopped) return;
      if (seeds.length > 0) this.o.join(seeds);
      else this.o.onAlone?.();
    } catch (err) {
      this.o.onAttempt?.([], err);
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.attempt(), this.delay);
    this.delay = Math.min(this.delay * 2, this.o.maxDelayMs ?? JOIN_RETRY_MAX_MS);
  }

  /** The one exchange after joining that picks up agents which joined at the same moment. */
  private async resync(): Promise<void> {
    this.timer = null;
    if (this.stopped) return;
    try {
      const seeds = (await this.o.lookup()).filter((s) => s !== this.o.ownAddr);
      if (!this.stopped && seeds.length > 0) this.o.join(seeds);
    } catch (err) {
      this.o.onAttempt?.([], err);
    }
  }
}
