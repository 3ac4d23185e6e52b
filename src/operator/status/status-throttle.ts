// At most one status round per GossipCluster every `intervalMs`, and never two at once: reconciles
// come far more often (every DaemonSet or Pod change), but polling agents is the expensive part.
import { DEFAULT_STATUS_INTERVAL_MS } from './agent-poller.js';

export class StatusThrottle {
  private readonly lastStart = new Map<string, number>();
  private readonly running = new Set<string>();

  constructor(
    readonly intervalMs: number = DEFAULT_STATUS_INTERVAL_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Milliseconds until a round for `key` may start (0: now). */
  dueIn(key: string): number {
    const last = this.lastStart.get(key);
    return last === undefined ? 0 : Math.max(0, last + this.intervalMs - this.clock());
  }

  /** Claims a round for `key` when one is due and none is running; pair with end(). */
  tryBegin(key: string): boolean {
    if (this.running.has(key) || this.dueIn(key) > 0) return false;
    this.running.add(key);
    this.lastStart.set(key, this.clock());
    return true;
  }

  end(key: string): void {
    this.running.delete(key);
  }

  /** The cluster was deleted. */
  forget(key: string): void {
    this.lastStart.delete(key);
    this.running.delete(key);
  }
}
