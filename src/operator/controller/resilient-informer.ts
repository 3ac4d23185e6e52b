// A client-node informer that keeps running. client-node 1.x informers emit 'error' and stop for good on
// any failed list or watch (apiserver restart, 500, network drop); this wrapper restarts them with a
// doubling delay, adds the periodic resync client-go informers have (re-emits 'update' for every cached
// object so level-triggered reconcilers heal drift), tracks "initial list done" for readiness, and bounds
// each watch with a server-side timeout so a silently dead connection cannot hang it forever.
//
// 410 Gone (resourceVersion compacted away) is handled by the underlying ListWatch — an HTTP 410 on the
// watch request or an ERROR 410 event followed by the server closing the stream both clear its
// resourceVersion and lead to a fresh list — and a restart watches from the last resourceVersion, so a
// restart after a long outage takes the same 410 → re-list path. Both paths are tested.
import type {
  Informer,
  KubeConfig,
  KubernetesObject,
  ListPromise,
  ObjectCache,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type BackoffOptions, ExponentialBackoff } from './exponential-backoff.js';
import { type Cancel, realScheduler, type Scheduler } from './scheduler.js';
import { makeStopSafeInformer } from './stop-safe-informer.js';

export type InformerVerb = 'add' | 'update' | 'delete';
export type ObjectHandler<T> = (obj: T) => void;
export type InformerFactory = <T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  path: string,
  listFn: ListPromise<T>,
  labelSelector?: string,
) => Informer<T> & ObjectCache<T>;

export interface ResilientInformerOptions<T extends KubernetesObject> {
  kubeConfig: KubeConfig;
  /** Collection path watched, e.g. /apis/grapevine.dev/v1alpha1/gossipclusters. */
  path: string;
  /** Lists the same collection (and label selector) as path. */
  listFn: ListPromise<T>;
  labelSelector?: string;
  /** Name used in logs and metrics, e.g. "gossipclusters". */
  name?: string;
  /** Re-emit 'update' for every cached object this often; 0 disables. Default 10 min. */
  resyncMs?: number;
  /** Delay between restarts after errors. Default 1 s doubling to 30 s. */
  restartBackoff?: BackoffOptions;
  /**
   * Server-side watch timeout: each watch lasts a random time in [t, 2t) seconds, then reconnects from
   * its resourceVersion (client-go's min-watch-timeout is 5 min). Default 300.
   */
  watchTimeoutSeconds?: number;
  /** Unhealthy when failing for longer than this without progress. Default 2 min. */
  stuckAfterMs?: number;
  /**
   * A restarted watch that has not failed for this long counts as recovered (resets the backoff): a quiet
   * collection gives no other sign of a working watch. Default 10 s.
   */
  stableAfterMs?: number;
  logger?: Logger;
  scheduler?: Scheduler;
  /** Called after each restart (informer-restarts metric). */
  onRestart?: (error: unknown) => void;
  /** Seam for tests; default client-node's makeInformer with a stop that ends a watch being opened. */
  informerFactory?: InformerFactory;
}

export interface InformerHealth {
  healthy: boolean;
  reason?: string;
}

const DEFAULT_RESTART_BACKOFF: BackoffOptions = { baseMs: 1_000, maxMs: 30_000 };

export class ResilientInformer<T extends KubernetesObject> {
  readonly name: string;
  private readonly informer: Informer<T> & ObjectCache<T>;
  private readonly scheduler: Scheduler;
  private readonly logger: Logger | undefined;
  private readonly backoff: ExponentialBackoff;
  private readonly resyncMs: number;
  private readonly stuckAfterMs: number;
  private readonly stableAfterMs: number;
  private readonly watchTimeoutSeconds: number;
  private readonly onRestart: ((error: unknown) => void) | undefined;
  private readonly handlers: Record<InformerVerb, Set<ObjectHandler<T>>> = {
    add: new Set(),
    update: new Set(),
    delete: new Set(),
  };
  private readonly syncWaiters: Array<() => void> = [];
  private synced = false;
  private running = false;
  private restartCount = 0;
  private cancelRestart: Cancel | undefined;
  private cancelResync: Cancel | undefined;
  private cancelStable: Cancel | undefined;
  /** Start of the current run of failures without progress; undefined while things work. */
  private failingSince: number | undefined;
  private lastConnectAt: number | undefined;
  private lastError: string | undefined;
  private lastErrorCode: number | undefined;

  constructor(options: ResilientInformerOptions<T>) {
    this.name = options.name ?? options.path;
    this.scheduler = options.scheduler ?? realScheduler;
    this.logger = options.logger?.child({ informer: this.name });
    this.backoff = new ExponentialBackoff(options.restartBackoff ?? DEFAULT_RESTART_BACKOFF);
    this.resyncMs = options.resyncMs ?? 10 * 60_000;
    this.stuckAfterMs = options.stuckAfterMs ?? 2 * 60_000;
    this.stableAfterMs = options.stableAfterMs ?? 10_000;
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.onRestart = options.onRestart;
    const factory = options.informerFactory ?? makeStopSafeInformer;
    const listFn: ListPromise<T> = async () => {
      const list = await options.listFn();
      // The ListWatch applies the items in the microtasks right after this promise settles; mark the
      // cache synced only once that has happened.
      setImmediate(() => this.onListed());
      return list;
    };
    this.informer = factory(
      this.kubeConfigChecked(options.kubeConfig),
      this.watchPath(options.path),
      listFn,
      options.labelSelector,
    );
    for (const verb of ['add', 'update', 'delete'] as const) {
      this.informer.on(verb, (obj: T) => {
        if (!this.running) return; // nothing is delivered after stop()
        this.progress();
        this.emit(verb, obj);
      });
    }
    this.informer.on('connect', () => {
      this.lastConnectAt = this.scheduler.now();
    });
    this.informer.on('error', (err: unknown) => this.onError(err));
  }

  /** Starts listing and watching in the background; use waitForSync() to wait for the cache. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.failingSince = undefined;
    this.lastConnectAt = this.scheduler.now();
    this.scheduleResync();
    // Errors come back through the 'error' callback; a rejection here would be a bug in the ListWatch.
    this.informer.start().catch((e: unknown) => this.onError(e));
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.cancelRestart?.();
    this.cancelRestart = undefined;
    this.cancelResync?.();
    this.cancelResync = undefined;
    this.cancelStable?.();
    this.cancelStable = undefined;
    // Aborting the watch makes the ListWatch emit an AbortError; onError ignores it since running is false.
    await this.informer.stop();
  }

  on(verb: InformerVerb, handler: ObjectHandler<T>): void {
    this.handlers[verb].add(handler);
  }

  off(verb: InformerVerb, handler: ObjectHandler<T>): void {
    this.handlers[verb].delete(handler);
  }

  /** True once the first list has been applied to the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves when hasSynced() (at once if already). */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  list(namespace?: string): ReadonlyArray<T> {
    return this.informer.list(namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  /** Restarts after errors so far. */
  get restarts(): number {
    return this.restartCount;
  }

  /**
   * Readiness: not ready before the first list, when the collection does not exist (404: its CRD is not
   * installed or was deleted), and when it has kept failing for stuckAfterMs. The informer keeps
   * retrying by itself, so none of these is a reason to restart the process: they are not liveness.
   */
  readiness(): InformerHealth {
    if (!this.running) return { healthy: true };
    if (this.failingSince !== undefined && this.lastErrorCode === 404)
      return { healthy: false, reason: `${this.name}: the API answers 404 (is its CRD installed?)` };
    const now = this.scheduler.now();
    if (this.failingSince !== undefined && now - this.failingSince > this.stuckAfterMs) {
      return {
        healthy: false,
        reason: `${this.name}: failing for ${Math.round((now - this.failingSince) / 1000)} s: ${this.lastError}`,
      };
    }
    if (!this.synced) return { healthy: false, reason: `${this.name}: not synced` };
    return { healthy: true };
  }

  /**
   * Liveness: unhealthy only when no list/watch (re)connection happened for the longest watch timeout
   * plus stuckAfterMs — a watch that neither ends nor errors, which only a restart fixes. A list that
   * keeps failing is retried here already (see readiness()).
   */
  health(): InformerHealth {
    if (!this.running) return { healthy: true };
    const now = this.scheduler.now();
    if (this.failingSince !== undefined) return { healthy: true };
    const quietLimit = 2 * this.watchTimeoutSeconds * 1000 + this.stuckAfterMs;
    if (this.lastConnectAt !== undefined && now - this.lastConnectAt > quietLimit) {
      return {
        healthy: false,
        reason: `${this.name}: no watch reconnection for ${Math.round((now - this.lastConnectAt) / 1000)} s`,
      };
    }
    return { healthy: true };
  }

  private onListed(): void {
    this.progress();
    if (this.synced || !this.running) return;
    this.synced = true;
    this.logger?.info({ objects: this.informer.list().length }, 'informer synced');
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  private progress(): void {
    this.failingSince = undefined;
    this.backoff.reset();
  }

  private onError(err: unknown): void {
    if (!this.running || this.cancelRestart !== undefined) return;
    this.cancelStable?.();
    this.cancelStable = undefined;
    this.failingSince ??= this.scheduler.now();
    this.lastError = describeError(err);
    this.lastErrorCode = errorCode(err);
    const delay = this.backoff.next();
    this.logger?.warn(
      { error: this.lastError, restartInMs: delay, restarts: this.restartCount },
      'informer stopped on error; restarting',
    );
    this.cancelRestart = this.scheduler.schedule(() => {
      this.cancelRestart = undefined;
      if (!this.running) return;
      this.restartCount++;
      this.logger?.info({ restarts: this.restartCount }, 'informer restarting');
      this.onRestart?.(err);
      this.cancelStable = this.scheduler.schedule(() => {
        this.cancelStable = undefined;
        this.progress();
      }, this.stableAfterMs);
      // start() resumes from the last resourceVersion (or lists if it never listed).
      this.informer.start().catch((e: unknown) => this.onError(e));
    }, delay);
  }

  private scheduleResync(): void {
    if (this.resyncMs <= 0) return;
    this.cancelResync = this.scheduler.schedule(() => {
      if (!this.running) return;
      if (this.synced) for (const obj of this.informer.list()) this.emit('update', obj);
      this.scheduleResync();
    }, this.resyncMs);
  }

  private emit(verb: InformerVerb, obj: T): void {
    for (const handler of this.handlers[verb]) {
      // The ListWatch swallows exceptions from watch callbacks silently; report them instead.
      try {
        handler(obj);
      } catch (err) {
        this.logger?.error(
          { error: describeError(err), verb, object: objectKey(obj) },
          'informer handler threw',
        );
      }
    }
  }

  private watchPath(path: string): string {
    // The ListWatch only uses path for the watch request, so a query parameter here bounds each watch.
    const seconds = this.watchTimeoutSeconds + Math.floor(Math.random() * this.watchTimeoutSeconds);
    return `${path}${path.includes('?') ? '&' : '?'}timeoutSeconds=${seconds}`;
  }

  private kubeConfigChecked(kubeConfig: KubeConfig): KubeConfig {
    if (kubeConfig.getCurrentCluster() === null) throw new Error('kubeconfig has no current cluster');
    return kubeConfig;
  }
}

/** "namespace/name" (or "name" for cluster-scoped objects): the work-queue key. */
export function objectKey(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

function errorCode(err: unknown): number | undefined {
  const code =
    (err as { statusCode?: unknown; code?: unknown } | null)?.statusCode ??
    (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code =
      (err as { statusCode?: unknown; code?: unknown }).statusCode ?? (err as { code?: unknown }).code;
    return code === undefined ? err.message : `${err.message} (${String(code)})`;
  }
  return String(err);
}
