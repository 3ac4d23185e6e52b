// Lease-based leader election (coordination.k8s.io/v1), following client-go's leaderelection:
// - writes are optimistic: a replace carries the resourceVersion that was read, so of two candidates
//   racing for an expired lease exactly one wins and the other gets 409 Conflict;
// - expiry is judged on the LOCAL monotonic clock from the moment this process last saw the lease
//   change, never by comparing the holder's renewTime with the local wall clock (clock skew);
// - the leader steps down when it has not renewed for renewDeadline (< leaseDuration), so it stops
//   acting before any follower may consider the lease expired;
// - a graceful stop runs onStoppedLeading first, then releases the lease (clears holderIdentity) so a
//   follower takes over at its next retry instead of waiting out the lease.
// After stepping down the elector contends again (the caller's onStoppedLeading must stop the guarded
// work, as it would before a process exit in client-go).
import { type CoordinationV1Api, type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { realScheduler, type Scheduler, sleep } from './scheduler.js';

export type LeaseApi = Pick<
  CoordinationV1Api,
  'readNamespacedLease' | 'createNamespacedLease' | 'replaceNamespacedLease'
>;

export interface LeaderElectorOptions {
  coordinationApi: LeaseApi;
  namespace: string;
  name: string;
  /** Unique per process, e.g. the pod name. */
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Called on becoming leader. */
  onStartedLeading?: () => void;
  /** Called on losing or giving up leadership; awaited before the lease is released on stop(). */
  onStoppedLeading?: () => void | Promise<void>;
  /** Called when the observed holder changes (including to this identity). */
  onNewLeader?: (identity: string) => void;
  logger?: Logger;
  scheduler?: Scheduler;
  /** Extra random fraction added to each retry wait (client-go's 1.2 jitter factor → 0.2). */
  jitter?: number;
}

type Attempt = 'acquired' | 'held-by-other' | 'conflict' | 'failed';

/** Throws one clear line when the timings cannot give safe leadership. */
export function validateElectionTimings(
  leaseDurationMs: number,
  renewDeadlineMs: number,
  retryPeriodMs: number,
  jitter: number,
): void {
  if (!(retryPeriodMs > 0))
    throw new Error(`leader election: retryPeriod must be > 0 (got ${retryPeriodMs} ms)`);
  if (!(leaseDurationMs > renewDeadlineMs)) {
    throw new Error(
      `leader election: leaseDuration (${leaseDurationMs} ms) must be greater than renewDeadline (${renewDeadlineMs} ms)`,
    );
  }
  if (!(renewDeadlineMs > retryPeriodMs * (1 + jitter))) {
    throw new Error(
      `leader election: renewDeadline (${renewDeadlineMs} ms) must be greater than retryPeriod × ${1 + jitter} (${retryPeriodMs * (1 + jitter)} ms)`,
    );
  }
}

export class LeaderElector {
  private readonly api: LeaseApi;
  private readonly namespace: string;
  private readonly name: string;
  readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly jitter: number;
  private readonly scheduler: Scheduler;
  private readonly logger: Logger | undefined;
  private readonly callbacks: Pick<
    LeaderElectorOptions,
    'onStartedLeading' | 'onStoppedLeading' | 'onNewLeader'
  >;
  private leader = false;
  private abort: AbortController | undefined;
  private running: Promise<void> | undefined;
  /** Settles when stop() is called (one listener per run, shared by every race). */
  private stopped: Promise<'aborted'> = new Promise(() => {});
  private observedResourceVersion: string | undefined;
  private observedLease: V1Lease | undefined;
  /** Local monotonic time at which the lease was last seen to change. */
  private observedAt = 0;
  private lastRenewAt = 0;
  private reportedLeader: string | undefined;

  constructor(options: LeaderElectorOptions) {
    this.api = options.coordinationApi;
    this.namespace = options.namespace;
    this.name = options.name;
    this.identity = options.identity;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.jitter = options.jitter ?? 0.2;
    validateElectionTimings(this.leaseDurationMs, this.renewDeadlineMs, this.retryPeriodMs, this.jitter);
    if (this.identity === '') throw new Error('leader election: identity must not be empty');
    this.scheduler = options.scheduler ?? realScheduler;
    this.logger = options.logger?.child({ lease: `${this.namespace}/${this.name}`, identity: this.identity });
    this.callbacks = options;
  }

  get isLeader(): boolean {
    return this.leader;
  }

  /** The holder this elector last observed ('' when none). */
  get observedLeader(): string {
    return this.observedLease?.spec?.holderIdentity ?? '';
  }

  /** Contends for and holds the lease until stop(); resolves after stop() has finished. */
  run(): Promise<void> {
    if (this.running === undefined) {
      const abort = new AbortController();
      this.abort = abort;
      this.stopped = aborted(abort.signal);
      this.running = this.loop(abort.signal).finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  /** Stops contending; as leader, runs onStoppedLeading and then releases the lease. */
  async stop(): Promise<void> {
    const running = this.running;
    this.abort?.abort();
    await running;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!(await this.acquire(signal))) break;
      this.leader = true;
      this.logger?.info('became leader');
      this.safely('onStartedLeading', () => this.callbacks.onStartedLeading?.());
      await this.renewUntilLost(signal);
      this.leader = false;
      if (signal.aborted) {
        await this.safelyAsync('onStoppedLeading', () => this.callbacks.onStoppedLeading?.());
        await this.release();
      } else {
        this.logger?.warn({ renewDeadlineMs: this.renewDeadlineMs }, 'lost leadership');
        await this.safelyAsync('onStoppedLeading', () => this.callbacks.onStoppedLeading?.());
      }
    }
  }

  /** Retries every retryPeriod (with jitter) until the lease is ours; false when stopped first. */
  private async acquire(signal: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal.aborted) return false;
      // A hung request must not hold up stop(): give up waiting on abort (the request may still land).
      const result = await Promise.race([this.tryAcquireOrRenew(), this.stopped]);
      if (result === 'acquired') return !signal.aborted || this.releaseAfterAbort();
      await sleep(this.scheduler, this.retryPeriodMs * (1 + Math.random() * this.jitter), signal);
    }
  }

  /** Acquired just as stop() was called: give it straight back. */
  private async releaseAfterAbort(): Promise<boolean> {
    await this.release();
    return false;
  }

  /** Renews every retryPeriod; returns when stopped or when no renewal succeeded for renewDeadline. */
  private async renewUntilLost(signal: AbortSignal): Promise<void> {
    for (;;) {
      await sleep(this.scheduler, this.retryPeriodMs, signal);
      if (signal.aborted) return;
      const remaining = this.lastRenewAt + this.renewDeadlineMs - this.scheduler.now();
      if (remaining <= 0) return;
      // A request that hangs must not keep a leader that can no longer prove it holds the lease.
      const deadline = new AbortController();
      const result = await Promise.race([
        this.tryAcquireOrRenew(),
        sleep(this.scheduler, remaining, deadline.signal).then(() => 'failed' as const),
        this.stopped,
      ]);
      deadline.abort();
      if (signal.aborted) return;
      if (result === 'held-by-other') return;
      if (this.scheduler.now() - this.lastRenewAt >= this.renewDeadlineMs) return;
    }
  }

  private async tryAcquireOrRenew(): Promise<Attempt> {
    const now = this.scheduler.now();
    let current: V1Lease;
    try {
      current = await this.api.readNamespacedLease({ name: this.name, namespace: this.namespace });
    } catch (err) {
      if (statusOf(err) !== 404) return this.failed('read', err);
      return this.create();
    }
    const rv = current.metadata?.resourceVersion;
    if (rv !== this.observedResourceVersion) {
      this.observe(current);
    }
    const holder = current.spec?.holderIdentity ?? '';
    const durationMs = (current.spec?.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
    if (holder !== '' && holder !== this.identity && this.observedAt + durationMs > now)
      return 'held-by-other';

    const stamp = new V1MicroTime(Date.now());
    const ours = holder === this.identity;
    const body: V1Lease = {
      ...current,
      spec: {
        ...current.spec,
        holderIdentity: this.identity,
        leaseDurationSeconds: this.leaseDurationSeconds(),
        renewTime: stamp,
        acquireTime: ours && current.spec?.acquireTime ? current.spec.acquireTime : stamp,
        leaseTransitions: (current.spec?.leaseTransitions ?? 0) + (ours ? 0 : 1),
      },
    };
    try {
      const written = await this.api.replaceNamespacedLease({
        name: this.name,
        namespace: this.namespace,
        body,
      });
      this.renewed(written);
      return 'acquired';
    } catch (err) {
      if (statusOf(err) === 409) return 'conflict';
      return this.failed('update', err);
    }
  }

  private async create(): Promise<Attempt> {
    const stamp = new V1MicroTime(Date.now());
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace },
      spec: {
        holderIdentity: this.identity,
        leaseDurationSeconds: this.leaseDurationSeconds(),
        acquireTime: stamp,
        renewTime: stamp,
        leaseTransitions: 0,
      },
    };
    try {
      const written = await this.api.createNamespacedLease({ namespace: this.namespace, body });
      this.renewed(written);
      return 'acquired';
    } catch (err) {
      if (statusOf(err) === 409) return 'conflict';
      return this.failed('create', err);
    }
  }

  /** Bounded by renewDeadline: a hung apiserver must not block shutdown (the lease then just expires). */
  private async release(): Promise<void> {
    const timeout = new AbortController();
    await Promise.race([this.releaseNow(), sleep(this.scheduler, this.renewDeadlineMs, timeout.signal)]);
    timeout.abort();
  }

  private async releaseNow(): Promise<void> {
    try {
      const current = await this.api.readNamespacedLease({ name: this.name, namespace: this.namespace });
      if (current.spec?.holderIdentity !== this.identity) return;
      const stamp = new V1MicroTime(Date.now());
      const { holderIdentity: _released, ...spec } = current.spec;
      await this.api.replaceNamespacedLease({
        name: this.name,
        namespace: this.namespace,
        body: {
          ...current,
          spec: { ...spec, leaseDurationSeconds: 1, renewTime: stamp, acquireTime: stamp },
        },
      });
      this.logger?.info('released lease');
    } catch (err) {
      // Not fatal: followers take over once the lease expires.
      this.logger?.warn({ error: describe(err) }, 'could not release lease');
    }
  }

  private renewed(lease: V1Lease): void {
    this.observe(lease);
    this.lastRenewAt = this.scheduler.now();
  }

  private observe(lease: V1Lease): void {
    this.observedLease = lease;
    this.observedResourceVersion = lease.metadata?.resourceVersion;
    this.observedAt = this.scheduler.now();
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      if (holder !== '') {
        this.logger?.info({ leader: holder }, 'new leader observed');
        this.safely('onNewLeader', () => this.callbacks.onNewLeader?.(holder));
      }
    }
  }

  private failed(op: string, err: unknown): Attempt {
    this.logger?.warn({ op, error: describe(err) }, 'lease request failed');
    return 'failed';
  }

  private leaseDurationSeconds(): number {
    return Math.max(1, Math.ceil(this.leaseDurationMs / 1000));
  }

  private safely(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger?.error({ error: describe(err) }, `${name} threw`);
    }
  }

  private async safelyAsync(name: string, fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.logger?.error({ error: describe(err) }, `${name} threw`);
    }
  }
}

function aborted(signal: AbortSignal): Promise<'aborted'> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve('aborted');
    else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
}

function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
