// A rate-limited work queue of object keys ("namespace/name"), with client-go's workqueue semantics:
// - a key waiting in the queue is not added twice (events for one object collapse into one reconcile);
// - a key is never handed to two workers at once: re-adding it while it is processed marks it dirty, and
//   done() puts it back exactly once;
// - addRateLimited() retries a failing key with a per-key doubling delay, forget() clears that history;
// - addAfter() delays a key (the earliest pending deadline wins).
import { type BackoffOptions, backoffDelay } from './exponential-backoff.js';
import { type Cancel, realScheduler, type Scheduler } from './scheduler.js';

export interface WorkQueueOptions {
  scheduler?: Scheduler;
  /** Per-key retry delays for addRateLimited; default 5 ms doubling up to 5 min (client-go's). */
  backoff?: BackoffOptions;
  /** Called as a key is handed to a worker, with how long it waited in the queue (queue-latency metric). */
  onHandOut?: (key: string, waitedMs: number) => void;
}

export interface ShutdownOptions {
  /** Keep handing out the keys already queued and wait until every key handed out is done(). */
  drain?: boolean;
}

export const DEFAULT_QUEUE_BACKOFF: BackoffOptions = { baseMs: 5, maxMs: 5 * 60_000 };

interface Delayed {
  readyAt: number;
  cancel: Cancel;
}

export class WorkQueue {
  private readonly scheduler: Scheduler;
  private readonly backoff: BackoffOptions;
  /** Keys ready to be handed out, in order. */
  private readonly queue: string[] = [];
  private readonly queuedAt = new Map<string, number>();
  private readonly onHandOut: ((key: string, waitedMs: number) => void) | undefined;
  /** Keys that need processing: queued, or re-added while processing. */
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, Delayed>();
  private readonly failures = new Map<string, number>();
  private readonly waiters: Array<(key: string | undefined) => void> = [];
  private shuttingDown = false;
  private draining = false;
  private drained: (() => void) | undefined;

  constructor(options: WorkQueueOptions = {}) {
    this.scheduler = options.scheduler ?? realScheduler;
    this.backoff = options.backoff ?? DEFAULT_QUEUE_BACKOFF;
    this.onHandOut = options.onHandOut;
  }

  /** Keys ready to be processed (the queue-depth metric); excludes delayed and in-progress keys. */
  get length(): number {
    return this.queue.length;
  }

  /** Keys waiting for a delay (addAfter / addRateLimited) to pass. */
  get delayedCount(): number {
    return this.delayed.size;
  }

  get processingCount(): number {
    return this.processing.size;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // done() re-queues it
    this.enqueue(key);
  }

  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.scheduler.now() + ms;
    const pending = this.delayed.get(key);
    if (pending !== undefined) {
      if (pending.readyAt <= readyAt) return;
      pending.cancel();
    }
    const cancel = this.scheduler.schedule(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { readyAt, cancel });
  }

  /** Re-adds a key after its next backoff delay (each call without forget() doubles the delay). */
  addRateLimited(key: string): void {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    this.addAfter(key, backoffDelay(failures, this.backoff));
  }

  /** Clears the key's retry history (call after a successful reconcile). */
  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Next key to process (the caller owns it until done(key)); undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    const key = this.take();
    if (key !== undefined) return Promise.resolve(key);
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    if (!this.processing.delete(key)) return;
    if (this.dirty.has(key) && (!this.shuttingDown || this.draining)) this.enqueue(key);
    this.checkDrained();
  }

  /**
   * Stops accepting keys and cancels delayed ones. Without drain, queued keys are dropped and every get()
   * answers undefined at once. With drain, queued keys are still handed out and the promise resolves
   * when the queue is empty and every handed-out key is done().
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      this.draining = options.drain === true;
      for (const { cancel } of this.delayed.values()) cancel();
      this.delayed.clear();
      if (!this.draining) {
        for (const key of this.queue) this.dirty.delete(key);
        this.queue.length = 0;
        this.queuedAt.clear();
      }
    }
    if (!this.draining) {
      this.wakeAll();
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const previous = this.drained;
      this.drained = () => {
        previous?.();
        resolve();
      };
      this.checkDrained();
    });
  }

  private take(): string | undefined {
    const key = this.queue.shift();
    if (key === undefined) return undefined;
    this.processing.add(key);
    this.dirty.delete(key);
    const since = this.queuedAt.get(key) ?? this.scheduler.now();
    this.queuedAt.delete(key);
    this.onHandOut?.(key, this.scheduler.now() - since);
    return key;
  }

  private enqueue(key: string): void {
    this.queue.push(key);
    this.queuedAt.set(key, this.scheduler.now());
    this.dispatch();
  }

  private dispatch(): void {
    while (this.waiters.length > 0 && this.queue.length > 0) {
      const waiter = this.waiters.shift();
      waiter?.(this.take());
    }
  }

  private checkDrained(): void {
    if (!this.shuttingDown) return;
    if (this.queue.length > 0 || this.processing.size > 0) return;
    this.wakeAll();
    const drained = this.drained;
    this.drained = undefined;
    drained?.();
  }

  private wakeAll(): void {
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }
}
