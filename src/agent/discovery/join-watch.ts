// Watches the start-up join through static seeds (`join`) and says once how it went: joined, or
// no seed reachable and why. Without `retryJoin` an agent that cannot reach any seed gives up, as
// `serf agent -join` does; with it, the agent says once that it keeps retrying (the core contacts
// its seeds again while alone, backing off up to reconnectIntervalMs) and stays quiet about each
// repeated failure. Only failures count: a seed that is merely slow (an overloaded host) is waited
// for, with one line saying so.

export interface JoinWatchOptions {
  /** How many seeds the join contacts (failures from that many distinct peers mean "none reachable"). */
  contacts: number;
  joined: () => boolean;
  retry: boolean;
  /** After this long without a join (and without every seed failing), say once that it is slow. */
  slowAfterMs: number;
  /** How often to look whether the node has joined. */
  pollMs?: number;
  onJoined: () => void;
  /** Once, with one reason per failed seed (e.g. "127.0.0.1:7946: connection refused"). */
  onUnreachable: (reasons: string[]) => void;
  /** Once, when the join has taken slowAfterMs without a verdict. */
  onSlow?: () => void;
  setTimer?: (fn: () => void, ms: number) => { unref?(): unknown };
  clearTimer?: (t: unknown) => void;
}

export type JoinWatchState = 'joining' | 'retrying' | 'joined' | 'failed' | 'stopped';

export class JoinWatch {
  private readonly failures = new Map<string, string>();
  private timer: unknown = null;
  private waitedMs = 0;
  private saidSlow = false;
  state: JoinWatchState = 'joining';

  constructor(private readonly o: JoinWatchOptions) {}

  start(): void {
    this.schedule();
  }

  stop(): void {
    if (this.state === 'joining' || this.state === 'retrying') this.state = 'stopped';
    if (this.timer !== null) (this.o.clearTimer ?? clearTimeout)(this.timer as NodeJS.Timeout);
    this.timer = null;
  }

  /** A seed could not be reached. Returns true while the watch is still waiting for the join. */
  noteFailure(peer: string, reason: string): boolean {
    if (this.state !== 'joining' && this.state !== 'retrying') return false;
    this.failures.set(peer, reason);
    if (this.state === 'joining' && this.failures.size >= this.o.contacts) this.unreachable();
    return true;
  }

  /** The reasons recorded so far, one per peer. */
  reasons(): string[] {
    return [...this.failures].map(([peer, reason]) => `${peer}: ${reason}`);
  }

  private schedule(): void {
    const poll = this.o.pollMs ?? 100;
    this.timer = (this.o.setTimer ?? setTimeout)(() => this.check(poll), poll);
  }

  private check(poll: number): void {
    this.timer = null;
    if (this.state !== 'joining' && this.state !== 'retrying') return;
    if (this.o.joined()) {
      this.state = 'joined';
      this.o.onJoined();
      return;
    }
    this.waitedMs += poll;
    if (this.state === 'joining' && !this.saidSlow && this.waitedMs >= this.o.slowAfterMs) {
      this.saidSlow = true;
      this.o.onSlow?.();
    }
    if (this.state === 'joining' || this.state === 'retrying') this.schedule();
  }

  private unreachable(): void {
    this.state = this.o.retry ? 'retrying' : 'failed';
    const reasons = this.reasons();
    this.o.onUnreachable(reasons);
    if (this.state === 'failed') this.stop();
  }
}
