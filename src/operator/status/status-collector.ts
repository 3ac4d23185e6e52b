// Status collection, out of the reconcile path: one loop per GossipCluster asks a sample of its agents
// for their view (pollAgents), keeps the result and the convergence state in a cache, and asks for a
// reconcile only when what the status would say has changed. A reconcile reads the cache and never
// waits on an agent. Bounded: one round per cluster at a time, one every `intervalMs`, at most
// `maxConcurrentRounds` rounds running across all clusters, each round bounded by pollAgents' sample
// size, concurrency, timeout and time budget (docs/operator-status.md has the figures for 1,000 nodes).
import type { Logger } from 'pino';
import { type Cancel, realScheduler, type Scheduler } from '../controller/scheduler.js';
import { type AgentPollResult, type PollOptions, type PollTarget, pollAgents } from './agent-poller.js';
import {
  agreement,
  type ConvergencePolicy,
  type ConvergenceState,
  NOT_CONVERGED,
  nextConvergence,
} from './convergence.js';
import type { TokenProvider, TokenSubject } from './token-provider.js';

export const DEFAULT_MAX_CONCURRENT_ROUNDS = 4;

/** What the status needs from the last round of one cluster. */
export interface CollectedStatus {
  round: Pick<
    AgentPollResult,
    'total' | 'polled' | 'reached' | 'joined' | 'sampled' | 'distinctDigests' | 'majorityCount' | 'members'
  >;
  /** Share of reached agents on the majority view (0..1). */
  agreement: number;
  /** After hysteresis (convergence.ts). */
  converged: boolean;
}

export interface CollectorSubject {
  cluster: TokenSubject;
  targets: PollTarget[];
}

export interface StatusCollectorOptions {
  intervalMs: number;
  /** The cluster and its agents now; null when the cluster is gone (its loop then ends). */
  subject: (key: string) => CollectorSubject | null;
  token: TokenProvider;
  /** The collected status of `key` changed: reconcile it. */
  onChange: (key: string) => void;
  /** Told after each round (metrics). */
  onRound?: (key: string, round: AgentPollResult) => void;
  poll?: typeof pollAgents;
  pollOptions?: Omit<PollOptions, 'token'>;
  maxConcurrentRounds?: number;
  policy?: ConvergencePolicy;
  scheduler?: Scheduler;
  logger?: Logger;
}

interface Loop {
  timer?: Cancel;
  running: boolean;
  convergence: ConvergenceState;
  latest?: CollectedStatus;
  /** Last token error logged, so a persisting one is logged once. */
  tokenError?: string;
}

export class StatusCollector {
  private readonly loops = new Map<string, Loop>();
  private readonly scheduler: Scheduler;
  private readonly maxRounds: number;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private stopped = false;

  constructor(private readonly o: StatusCollectorOptions) {
    this.scheduler = o.scheduler ?? realScheduler;
    this.maxRounds = Math.max(1, o.maxConcurrentRounds ?? DEFAULT_MAX_CONCURRENT_ROUNDS);
  }

  /** Starts the loop for `key` if it is not running; the first round starts at once. */
  watch(key: string): void {
    if (this.stopped || this.loops.has(key)) return;
    const loop: Loop = { running: false, convergence: NOT_CONVERGED };
    this.loops.set(key, loop);
    this.schedule(key, loop, 0);
  }

  /** The cluster was deleted: end its loop and drop its state. */
  forget(key: string): void {
    const loop = this.loops.get(key);
    loop?.timer?.();
    this.loops.delete(key);
  }

  latest(key: string): CollectedStatus | undefined {
    return this.loops.get(key)?.latest;
  }

  get watched(): number {
    return this.loops.size;
  }

  stop(): void {
    this.stopped = true;
    for (const key of [...this.loops.keys()]) this.forget(key);
    for (const wake of this.waiting.splice(0)) wake();
  }

  private schedule(key: string, loop: Loop, ms: number): void {
    loop.timer = this.scheduler.schedule(() => void this.round(key, loop), ms);
  }

  private async round(key: string, loop: Loop): Promise<void> {
    if (this.loops.get(key) !== loop || loop.running) return;
    const subject = this.o.subject(key);
    if (!subject) {
      this.forget(key);
      return;
    }
    loop.running = true;
    try {
      if (subject.targets.length > 0) {
        await this.acquire();
        try {
          if (this.loops.get(key) !== loop) return;
          const token = await this.token(subject.cluster, loop);
          const round = await (this.o.poll ?? pollAgents)(subject.targets, {
            ...this.o.pollOptions,
            ...(token ? { token } : {}),
          });
          this.o.onRound?.(key, round);
          if (this.loops.get(key) !== loop) return;
          this.record(key, loop, round);
        } finally {
          this.release();
        }
      }
    } finally {
      loop.running = false;
      if (this.loops.get(key) === loop && !this.stopped) this.schedule(key, loop, this.o.intervalMs);
    }
  }

  private record(key: string, loop: Loop, round: AgentPollResult): void {
    const share = agreement(round);
    loop.convergence = nextConvergence(loop.convergence, share, this.o.policy);
    const next: CollectedStatus = {
      round: {
        total: round.total,
        polled: round.polled,
        reached: round.reached,
        joined: round.joined,
        sampled: round.sampled,
        distinctDigests: round.distinctDigests,
        majorityCount: round.majorityCount,
        members: round.members,
      },
      agreement: share,
      converged: loop.convergence.converged,
    };
    const changed = JSON.stringify(next) !== JSON.stringify(loop.latest);
    loop.latest = next;
    if (changed) this.o.onChange(key);
  }

  private async token(cluster: TokenSubject, loop: Loop): Promise<string | null> {
    try {
      const token = await this.o.token(cluster);
      loop.tokenError = undefined;
      return token;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (loop.tokenError !== message)
        this.o.logger?.warn(
          { cluster: `${cluster.metadata.namespace}/${cluster.metadata.name}`, error: message },
          'cannot read the agents’ API token; polling without it',
        );
      loop.tokenError = message;
      return null;
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.maxRounds || this.stopped) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.active++;
        resolve();
      }),
    );
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }
}
