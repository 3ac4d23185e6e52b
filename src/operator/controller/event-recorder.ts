// Kubernetes Events (core/v1) for what the operator does, shown by `kubectl describe gossipcluster`.
// Repeats of the same (object, type, reason, message) within the aggregation window bump the count of
// the existing Event instead of creating new ones, and those bumps are themselves coalesced: at most one
// update per key every `minUpdateIntervalMs`, carrying every repeat seen meanwhile (client-go's spam
// filter does the same). A loop retrying every second thus makes one Event and a few writes, not one
// write per retry. Recording never throws: an Event is a courtesy, and a failure to write one is logged
// and must never fail a reconcile.
import type { CoreV1Api, CoreV1Event, KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { realScheduler, type Scheduler } from './scheduler.js';

export type EventsApi = Pick<CoreV1Api, 'createNamespacedEvent' | 'replaceNamespacedEvent'>;
export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  coreApi: EventsApi;
  /** source.component / reportingComponent, e.g. "grapevine-operator". */
  component: string;
  /** reportingInstance, e.g. the pod name. */
  instance?: string;
  /** Repeats within this window are aggregated. Default 10 min. */
  aggregateWindowMs?: number;
  /** Repeats of one key write at most one update per this interval. Default 60 s. */
  minUpdateIntervalMs?: number;
  /** Most remembered (object, reason, message) keys; the oldest are forgotten first. Default 4096. */
  maxKeys?: number;
  logger?: Logger;
  scheduler?: Scheduler;
  /** Called after each successful API write (api-writes metric). */
  onWrite?: (verb: 'create' | 'update', kind: 'Event') => void;
}

interface Seen {
  event: CoreV1Event;
  /** Last occurrence (scheduler time). */
  lastAt: number;
  /** Last write to the API (scheduler time). */
  writtenAt: number;
  /** Occurrences not yet written into the Event's count. */
  unsent: number;
  /** Cancels the pending coalesced update, if one is scheduled. */
  flush?: () => void;
}

export class EventRecorder {
  private readonly api: EventsApi;
  private readonly component: string;
  private readonly instance: string | undefined;
  private readonly windowMs: number;
  private readonly minUpdateMs: number;
  private readonly maxKeys: number;
  private readonly logger: Logger | undefined;
  private readonly scheduler: Scheduler;
  private readonly onWrite: EventRecorderOptions['onWrite'];
  private readonly seen = new Map<string, Seen>();
  /** Per-key chain so concurrent repeats aggregate instead of racing two creates. */
  private readonly pending = new Map<string, Promise<void>>();

  constructor(options: EventRecorderOptions) {
    this.api = options.coreApi;
    this.component = options.component;
    this.instance = options.instance;
    this.windowMs = options.aggregateWindowMs ?? 10 * 60_000;
    this.minUpdateMs = options.minUpdateIntervalMs ?? 60_000;
    this.maxKeys = options.maxKeys ?? 4096;
    this.logger = options.logger;
    this.scheduler = options.scheduler ?? realScheduler;
    this.onWrite = options.onWrite;
  }

  /** Records an Event about obj; resolves when written (or when writing failed and was logged). */
  record(obj: KubernetesObject, type: EventType, reason: string, message: string): Promise<void> {
    const key = aggregationKey(obj, type, reason, message);
    return this.serial(key, () => this.write(key, obj, type, reason, message));
  }

  /** Cancels pending coalesced updates (their counts are lost; Events are a courtesy). */
  stop(): void {
    for (const seen of this.seen.values()) seen.flush?.();
  }

  private serial(key: string, op: () => Promise<void>): Promise<void> {
    const previous = this.pending.get(key) ?? Promise.resolve();
    const next = previous.then(op);
    this.pending.set(key, next);
    void next.then(() => {
      if (this.pending.get(key) === next) this.pending.delete(key);
    });
    return next;
  }

  private async write(
    key: string,
    obj: KubernetesObject,
    type: EventType,
    reason: string,
    message: string,
  ): Promise<void> {
    const now = this.scheduler.now();
    const wallNow = new Date();
    const seen = this.seen.get(key);
    try {
      if (seen !== undefined && now - seen.lastAt < this.windowMs) {
        seen.unsent++;
        seen.lastAt = now;
        const wait = seen.writtenAt + this.minUpdateMs - now;
        if (wait > 0) {
          // Coalesce: one update later carries every repeat seen until then.
          seen.flush ??= this.scheduler.schedule(() => {
            seen.flush = undefined;
            void this.serial(key, async () => {
              await this.flushSeen(key, seen);
            });
          }, wait);
          return;
        }
        if (await this.flushSeen(key, seen, wallNow)) return;
      }
      const created = await this.api.createNamespacedEvent({
        namespace: eventNamespace(obj),
        body: this.newEvent(obj, type, reason, message, wallNow),
      });
      this.onWrite?.('create', 'Event');
      this.remember(key, created, now);
    } catch (err) {
      this.logger?.warn(
        { error: err instanceof Error ? err.message : String(err), reason, object: describeObject(obj) },
        'could not record event',
      );
    }
  }

  /** Writes the unsent repeats of `seen`; false when its Event is gone (expired by the event TTL). */
  private async flushSeen(key: string, seen: Seen, at: Date = new Date()): Promise<boolean> {
    if (seen.unsent === 0 || this.seen.get(key) !== seen) return true;
    try {
      const updated = await this.bump(seen.event, seen.unsent, at);
      if (updated === undefined) {
        this.seen.delete(key);
        return false;
      }
      this.remember(key, updated, seen.lastAt);
    } catch (err) {
      this.logger?.warn(
        { error: err instanceof Error ? err.message : String(err), reason: seen.event.reason },
        'could not record event',
      );
    }
    return true;
  }

  /** Adds `by` to the count of the existing Event; undefined when it is gone (expired by the event TTL). */
  private async bump(event: CoreV1Event, by: number, at: Date): Promise<CoreV1Event | undefined> {
    const name = event.metadata?.name ?? '';
    const namespace = event.metadata?.namespace ?? '';
    // No resourceVersion: only this recorder writes its Events, and a conflict would just lose a count.
    const { resourceVersion: _rv, ...metadata } = event.metadata ?? {};
    try {
      const updated = await this.api.replaceNamespacedEvent({
        name,
        namespace,
        body: { ...event, metadata, count: (event.count ?? 1) + by, lastTimestamp: at },
      });
      this.onWrite?.('update', 'Event');
      return updated;
    } catch (err) {
      if ((err as { code?: unknown }).code === 404) return undefined;
      throw err;
    }
  }

  private newEvent(
    obj: KubernetesObject,
    type: EventType,
    reason: string,
    message: string,
    at: Date,
  ): CoreV1Event {
    const name = obj.metadata?.name ?? 'unknown';
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: `${name}.${(BigInt(at.getTime()) * 1_000_000n).toString(16)}${randomSuffix()}`,
        namespace: eventNamespace(obj),
      },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name,
        namespace: obj.metadata?.namespace,
        uid: obj.metadata?.uid,
        resourceVersion: obj.metadata?.resourceVersion,
      },
      type,
      reason,
      // The apiserver rejects Event messages over 1 KiB in events.k8s.io; keep core/v1 ones as short.
      message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
      count: 1,
      firstTimestamp: at,
      lastTimestamp: at,
      source: { component: this.component },
      reportingComponent: this.component,
      reportingInstance: this.instance,
    };
  }

  private remember(key: string, event: CoreV1Event, at: number): void {
    this.seen.get(key)?.flush?.();
    this.seen.delete(key); // re-insert: Map order is then oldest-first
    this.seen.set(key, { event, lastAt: at, writtenAt: this.scheduler.now(), unsent: 0 });
    while (this.seen.size > this.maxKeys) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
  }
}

function aggregationKey(obj: KubernetesObject, type: string, reason: string, message: string): string {
  return JSON.stringify([
    obj.kind,
    obj.metadata?.namespace,
    obj.metadata?.name,
    obj.metadata?.uid,
    type,
    reason,
    message,
  ]);
}

/** Events live in the object's namespace; cluster-scoped objects get theirs in "default". */
function eventNamespace(obj: KubernetesObject): string {
  return obj.metadata?.namespace || 'default';
}

function describeObject(obj: KubernetesObject): string {
  return `${obj.kind ?? '?'} ${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

/** Two Events for one object in the same nanosecond-stamp must still get distinct names. */
function randomSuffix(): string {
  return Math.floor(Math.random() * 0xfff)
    .toString(16)
    .padStart(3, '0');
}
