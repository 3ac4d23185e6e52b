// Hands the core the seeds to join through (a static list or a DNS name), each address once. The
// core itself retries while the node is alone (a quarter probe interval, doubling up to
// reconnectIntervalMs; core/anti-entropy-driver.ts) and re-syncs once after joining, so this only
// looks the seeds up again, with backoff, until the node has joined: a DNS name may list no one
// yet, fail, or list new members (a DaemonSet rolling out), and only new addresses start a join.
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
  /** First delay between lookups; doubles per lookup up to maxDelayMs. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

/** Lookup delays used by the agent: fast enough to catch a DNS name that lists a seed a moment later. */
export const JOIN_RETRY_MIN_MS = 250;
export const JOIN_RETRY_MAX_MS = 8_000;

export class SeedJoiner {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private delay: number;
  /** Addresses already handed to the core (it keeps retrying them itself while alone). */
  private readonly given = new Set<Addr>();

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
    this.timer = null;
    if (this.stopped || this.o.joined()) return;
    try {
      const seeds = (await this.o.lookup()).filter((s) => s !== this.o.ownAddr);
      this.o.onAttempt?.(seeds);
      if (this.stopped) return;
      const fresh = seeds.filter((s) => !this.given.has(s));
      for (const s of fresh) this.given.add(s);
      if (fresh.length > 0) this.o.join(seeds);
      else if (seeds.length === 0) this.o.onAlone?.();
    } catch (err) {
      this.o.onAttempt?.([], err);
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.attempt(), this.delay);
    this.delay = Math.min(this.delay * 2, this.o.maxDelayMs ?? JOIN_RETRY_MAX_MS);
  }
}
