// One reconcile pass for one GossipCluster: validate the spec, compute the desired objects (a pure
// function), apply only what differs from the live objects, prune what is no longer wanted, and
// write the status only when it changed. Idle passes therefore make no API writes at all. The agents'
// view comes from the status collector's cache: a reconcile never waits on an agent.
import type { KubernetesObject, V1DaemonSet, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { GossipCluster, GossipClusterSpec, GossipClusterStatus } from './api/gossipcluster-schema.js';
import { resolveSpec } from './api/resolve-spec.js';
import { firstDifference } from './apply/desired-subset.js';
import { FIELD_MANAGER, type ObjectApplier } from './apply/object-applier.js';
import { firstNoLongerDesired } from './apply/owned-fields.js';
import { liveObjects, NOT_OWNED_REASON, objectId } from './apply/ownership.js';
import { wireNames } from './apply/wire-names.js';
import type { EventRecorder } from './controller/event-recorder.js';
import { desiredObjects } from './desired/desired-objects.js';
import { ensureAgentSecrets, type SecretProblem } from './secrets/agent-secrets.js';
import { computeStatus, type DaemonSetState, statusEqual } from './status/conditions.js';
import type { CollectedStatus } from './status/status-collector.js';
import { statusDifferences } from './status/status-equal.js';

/** What the reconciler reads: the informers' caches. */
export interface OperatorCache {
  cluster(namespace: string, name: string): GossipCluster | undefined;
  /** Objects of any owned kind labelled as belonging to this GossipCluster. */
  owned(namespace: string, instance: string): KubernetesObject[];
  pods(namespace: string, instance: string): V1Pod[];
  serviceMonitorCrdPresent(): boolean;
}

export interface ReconcilerOptions {
  cache: OperatorCache;
  applier: ObjectApplier;
  events: EventRecorder;
  logger: Logger;
  /** Writes the status subresource (status-writer.ts). */
  status: { write(cr: GossipCluster, status: GossipClusterStatus): Promise<void> };
  /** The status collector: its loop per cluster and the cache of its last rounds. */
  collector: {
    watch(key: string): void;
    forget(key: string): void;
    latest(key: string): CollectedStatus | undefined;
  };
  now?: () => Date;
  /** The cluster DNS domain agents resolve their Service in (default cluster.local). */
  clusterDomain?: string;
  /**
   * A cluster is reconciled again this long after each pass, so what no informer watches (the
   * Secrets it mounts) is checked periodically.
   */
  recheckMs: number;
}

export interface ReconcileResult {
  /** Ask to be called again after this long, if set. */
  requeueAfterMs?: number;
  applied: number;
  deleted: number;
  statusWritten: boolean;
}

export class Reconciler {
  /**
   * The status this operator last wrote per key. The informer delivers our own write a little later, so
   * a retry right after a write would otherwise compare with the stale cached status and write again.
   */
  private readonly written = new Map<string, { uid: string; status: GossipClusterStatus }>();

  constructor(private readonly o: ReconcilerOptions) {}

  forget(key: string): void {
    this.o.collector.forget(key);
    this.written.delete(key);
  }

  private now(): Date {
    return this.o.now ? this.o.now() : new Date();
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const [namespace = '', name = ''] = key.split('/');
    const { cache, applier, events } = this.o;
    const result: ReconcileResult = { applied: 0, deleted: 0, statusWritten: false };
    const cr = cache.cluster(namespace, name);
    if (!cr || cr.metadata.deletionTimestamp) {
      // Owned objects carry owner references: the garbage collector removes them with the cluster.
      this.forget(key);
      return result;
    }
    const now = this.now();
    this.o.collector.watch(key);
    const previous = this.previousStatus(key, cr);
    const live = cache.owned(namespace, name);
    const observed = {
      generation: cr.metadata.generation ?? 0,
      daemonSet: daemonSetState(live),
      collected: this.o.collector.latest(key),
      previous,
      now,
    };
    const resolved = resolveSpec(cr.spec);
    if (!resolved.ok) {
      // Nothing is applied for an invalid spec: the running objects stay as they were.
      const status = computeStatus({ ...observed, specProblems: resolved.problems, applied: false });
      // One Event per distinct problem list: it is recorded when the status changes, not per retry.
      if (await this.writeStatus(key, cr, previous, status)) {
        events.record(identity(cr), 'Warning', 'InvalidSpec', resolved.problems.join('; '));
        result.statusWritten = true;
      }
      return result;
    }

    const desired = desiredObjects(cr, resolved.spec, {
      serviceMonitorCrdPresent: cache.serviceMonitorCrdPresent(),
      clusterDomain: this.o.clusterDomain,
    });
    const wanted = new Set<string>();
    result.requeueAfterMs = this.o.recheckMs;
    try {
      // Preconditions (issue 9): nobody else's object is taken over, the mounted Secrets are usable.
      // Either failing applies nothing; the status says which object, and one Event is recorded.
      const blockers = await this.preconditions(cr, resolved.spec, desired, live);
      if (blockers.problems.length > 0) {
        const message = blockers.problems.map((p) => p.message).join('; ');
        const reason = blockers.problems[0]?.reason ?? 'ApplyFailed';
        const status = computeStatus({
          ...observed,
          specProblems: null,
          applied: false,
          applyError: message,
          applyReason: reason,
        });
        if (await this.writeStatus(key, cr, previous, status)) {
          events.record(identity(cr), 'Warning', reason, message);
          result.statusWritten = true;
        }
        return result;
      }
      for (const obj of desired) {
        const id = objectId(obj);
        wanted.add(id);
        const current = blockers.live.get(id);
        // Compared in wire spelling; a field we applied before and no longer want also counts as a
        // difference, so that the apply removes it (the field manager owns removals).
        const want = wireNames(obj);
        const differs = current
          ? (firstDifference(want, wireNames(current)) ?? firstNoLongerDesired(current, want, FIELD_MANAGER))
          : '(missing)';
        if (differs === undefined) continue;
        this.o.logger.debug({ object: id, field: differs }, 'applying: the live object differs');
        const stored = await applier.apply(obj);
        result.applied++;
        // The status of this pass describes the DaemonSet just applied, not the cache's older copy
        // (or none): otherwise the informer's delivery of it a moment later is one more status write.
        if (obj.kind === 'DaemonSet') observed.daemonSet = daemonSetState([{ ...stored, kind: 'DaemonSet' }]);
        const verb = current ? 'updated' : 'created';
        events.record(
          identity(cr),
          'Normal',
          current ? 'Updated' : 'Created',
          `${verb} ${obj.kind} ${obj.metadata?.name}`,
        );
      }
      for (const obj of live) {
        if (wanted.has(objectId(obj)) || !ownedBy(obj, cr)) continue;
        await applier.delete(obj);
        result.deleted++;
        events.record(
          identity(cr),
          'Normal',
          'Deleted',
          `deleted ${obj.kind} ${obj.metadata?.name}, no longer wanted`,
        );
      }
    } catch (err) {
      const message = apiErrorMessage(err);
      // The DaemonSet of the previous generation still runs: Ready keeps describing it.
      const status = computeStatus({ ...observed, specProblems: null, applied: false, applyError: message });
      // One Event per distinct failure: retries of the same failure change no status and record nothing.
      // A failed status write must not hide the apply error, which is what the caller retries on.
      const wrote = await this.writeStatus(key, cr, previous, status).catch((statusErr: unknown) => {
        this.o.logger.debug({ err: apiErrorMessage(statusErr) }, 'status write failed too');
        return false;
      });
      if (wrote) events.record(identity(cr), 'Warning', 'ApplyFailed', message);
      throw err;
    }

    const status = computeStatus({ ...observed, specProblems: null, applied: true });
    result.statusWritten = await this.writeStatus(key, cr, previous, status);
    return result;
  }

  private async preconditions(
    cr: GossipCluster,
    spec: GossipClusterSpec,
    desired: Iterable<KubernetesObject>,
    cached: KubernetesObject[],
  ): Promise<{ problems: SecretProblem[]; live: Map<string, KubernetesObject> }> {
    const { applier } = this.o;
    const found = await liveObjects(desired, cached, cr, (o) => applier.read(o));
    // Blocked by someone else's object: not even the Secrets are generated.
    if (found.problems.length > 0)
      return {
        problems: found.problems.map((message) => ({ reason: NOT_OWNED_REASON, message })),
        live: found.live,
      };
    const secrets = await ensureAgentSecrets(cr, spec, {
      read: (namespace, name) =>
        applier.read({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace } }),
      create: (secret) => applier.create(secret),
    });
    for (const name of secrets.created)
      this.o.events.record(identity(cr), 'Normal', 'Created', `created Secret ${name}`);
    return { problems: secrets.problems, live: found.live };
  }

  /** The stored status, or the one this operator wrote last if the informer has not delivered it yet. */
  private previousStatus(key: string, cr: GossipCluster): GossipClusterStatus | undefined {
    const mine = this.written.get(key);
    return mine && mine.uid === cr.metadata.uid ? mine.status : cr.status;
  }

  /** Writes `status` unless it equals what is stored (or what this operator last wrote); true if written. */
  private async writeStatus(
    key: string,
    cr: GossipCluster,
    previous: GossipClusterStatus | undefined,
    status: GossipClusterStatus,
  ): Promise<boolean> {
    if (statusEqual(previous, status) || statusEqual(cr.status, status)) return false;
    // Why this write: what changed (benchmarks and debugging count writes by it).
    this.o.logger.debug(
      { cluster: key, generation: cr.metadata.generation, changed: statusDifferences(previous, status) },
      'writing status',
    );
    await this.o.status.write(cr, status);
    this.written.set(key, { uid: cr.metadata.uid, status });
    return true;
  }
}

function daemonSetState(live: readonly KubernetesObject[]): DaemonSetState | undefined {
  const ds = live.find((l) => l.kind === 'DaemonSet') as V1DaemonSet | undefined;
  if (!ds) return undefined;
  return {
    generation: ds.metadata?.generation ?? 0,
    observedGeneration: ds.status?.observedGeneration ?? 0,
    desiredNumberScheduled: ds.status?.desiredNumberScheduled ?? 0,
    numberReady: ds.status?.numberReady ?? 0,
    updatedNumberScheduled: ds.status?.updatedNumberScheduled ?? 0,
  };
}

/** What an Event needs to point at the cluster (the cached object is plain JSON, not a client model). */
function identity(cr: GossipCluster): KubernetesObject {
  const { name, namespace, uid, resourceVersion } = cr.metadata;
  return { apiVersion: cr.apiVersion, kind: cr.kind, metadata: { name, namespace, uid, resourceVersion } };
}

/** The apiserver's own message for a failed request (client-node puts the Status in `body`). */
function apiErrorMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  try {
    const parsed =
      typeof body === 'string' ? (JSON.parse(body) as { message?: string }) : (body as { message?: string });
    if (parsed?.message) return parsed.message;
  } catch {
    // not JSON
  }
  return err instanceof Error ? err.message : String(err);
}

function ownedBy(o: KubernetesObject, cr: GossipCluster): boolean {
  return (o.metadata?.ownerReferences ?? []).some((r) => r.uid === cr.metadata.uid && r.controller);
}
