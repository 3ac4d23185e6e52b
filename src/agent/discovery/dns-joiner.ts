// Joins through a DNS name and keeps retrying (with backoff) until the node has joined: at start-up
// in a DaemonSet the Service may not list any peer yet, or only this pod.
import type { Addr } from '../wire/messages.js';
import { resolveSeeds, type SeedResolver } from './dns-seeds.js';

export interface DnsJoinerOptions {
  name: string;
  defaultPort: number;
  ownAddr: Addr;
  resolver: SeedResolver;
  join: (seeds: Addr[]) => void;
  joined: () => boolean;
  /** Called with what each attempt found (for logs). */
  onAttempt?: (seeds: Addr[], error?: unknown) => void;
  /** Called once when DNS lists no peer but us: we are the first member. */
  onAlone?: () => void;
  minDelayMs?: number;
  maxDelayMs?: number;
}

export class DnsJoiner {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private delay: number;

  constructor(private readonly o: DnsJoinerOptions) {
    this.delay = o.minDelayMs ?? 1_000;
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
    if (this.stopped || this.o.joined()) return;
    try {
      const seeds = (await resolveSeeds(this.o.name, this.o.defaultPort, this.o.resolver)).filter(
        (s) => s !== this.o.ownAddr,
      );
      this.o.onAttempt?.(seeds);
      if (this.stopped) return;
      if (seeds.length > 0) this.o.join(seeds);
      else this.o.onAlone?.();
    } catch (err) {
      this.o.onAttempt?.([], err);
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.attempt(), this.delay);
    this.delay = Math.min(this.delay * 2, this.o.maxDelayMs ?? 30_000);
  }
}
