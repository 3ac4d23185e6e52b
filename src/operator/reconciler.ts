// One reconcile pass for one GossipCluster: validate the spec, compute the desired objects (a pure
// function), apply only what differs from the live objects, prune what is no longer wanted, and
// write the status only when it changed. Idle passes therefore make no API writes at all.
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
import { type AgentPollResult, pollAgents } from './status/agent-poller.js';
import { agentTargets } from './status/agent-targets.js';
import { computeStatus, type DaemonSetState, statusEqual } from './status/conditions.js';
import { StatusThrottle } from './status/status-throttle.js';

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
  /** How often agents are polled for the status of one cluster. */
  statusIntervalMs: number;
  pollAgents?: typeof pollAgents;
  now?: () => Date;
  /** The cluster DNS domain agents resolve their Service in (default cluster.local). */
  clusterDomain?: string;
}

export interface ReconcileResult {
  /** Ask to be called again after this long (status refresh), if set. */
  requeueAfterMs?: number;
  applied: number;
  deleted: number;
  statusWritten: boolean;
}

export class Reconciler {
  /** At most one agent poll per cluster per statusIntervalMs; between rounds the last one stands. */
  private readonly throttle: StatusThrottle;
  private readonly lastPoll = new Map<string, AgentPollResult>();

  constructor(private readonly o: ReconcilerOptions) {
    this.throttle = new StatusThrottle(o.statusIntervalMs, () => this.now().getTime());
  }

  forget(key: string): void {
    this.throttle.forget(key);
    this.lastPoll.delete(key);
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
    const resolved = resolveSpec(cr.spec);
    if (!resolved.ok) {
      // Nothing is applied for an invalid spec: the running objects stay as they were.
      const status = computeStatus({
        generation: cr.metadata.generation ?? 0,
        specProblems: resolved.problems,
        applied: false,
        previous: cr.status,
        now,
      });
      if (!statusEqual(cr.status, status)) {
        events.record(identity(cr), 'Warning', 'InvalidSpec', resolved.problems.join('; '));
        await applier.patchStatus(cr, status);
        result.statusWritten = true;
      }
      return result;
    }

    const desired = desiredObjects(cr, resolved.spec, {
      serviceMonitorCrdPresent: cache.serviceMonitorCrdPresent(),
      clusterDomain: this.o.clusterDomain,
    });
    const live = cache.owned(namespace, name);
    const wanted = new Set<string>();
    const dsLive = live.find((l) => l.kind === 'DaemonSet') as V1DaemonSet | undefined;
    try {
      // Preconditions (issue 9): nobody else's object is taken over, the mounted Secrets are usable.
      // Either failing applies nothing; the status says which object, and one Event is recorded.
      const blockers = await this.preconditions(cr, resolved.spec, desired, live);
      if (blockers.problems.length > 0) {
        await this.refuse(cr, blockers.problems, dsLive, now, result);
        result.requeueAfterMs = this.o.statusIntervalMs;
        return result;
      }
      for (const obj of desired) {
        const id = objectId(obj);
        wanted.add(id);
        const current = blockers.live.get(id);
        const want = wireNames(obj);
        const differs = current
          ? (firstDifference(want, wireNames(current)) ?? firstNoLongerDesired(current, want, FIELD_MANAGER))
          : '(missing)';
        if (differs === undefined) continue;
        this.o.logger.debug({ object: id, field: differs }, 'applying: the live object differs');
        await applier.apply(obj);
        result.applied++;
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
      const status = computeStatus({
        generation: cr.metadata.generation ?? 0,
        specProblems: null,
        applied: false,
        applyError: message,
        previous: cr.status,
        now,
      });
      events.record(identity(cr), 'Warning', 'ApplyFailed', message);
      if (!statusEqual(cr.status, status)) await applier.patchStatus(cr, status);
      throw err;
    }

    const poll = await this.poll(key, cr, resolved.spec.ports.http);
    const status = computeStatus({
      generation: cr.metadata.generation ?? 0,
      specProblems: null,
      applied: true,
      daemonSet: daemonSetState(dsLive),
      poll,
      previous: cr.status,
      now,
    });
    if (!statusEqual(cr.status, status)) {
      await applier.patchStatus(cr, status as GossipClusterStatus);
      result.statusWritten = true;
    }
    result.requeueAfterMs = this.o.statusIntervalMs;
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

  /** Degraded with the first problem's reason; status and Event written only when the status changes. */
  private async refuse(
    cr: GossipCluster,
    problems: SecretProblem[],
    ds: V1DaemonSet | undefined,
    now: Date,
    result: ReconcileResult,
  ): Promise<void> {
    const message = problems.map((p) => p.message).join('; ');
    const reason = problems[0]?.reason ?? 'ApplyFailed';
    const status = computeStatus({
      generation: cr.metadata.generation ?? 0,
      specProblems: null,
      applied: false,
      applyError: message,
      applyReason: reason,
      daemonSet: daemonSetState(ds),
      previous: cr.status,
      now,
    });
    if (statusEqual(cr.status, status)) return;
    this.o.events.record(identity(cr), 'Warning', reason, message);
    await this.o.applier.patchStatus(cr, status);
    result.statusWritten = true;
  }

  private async poll(key: string, cr: GossipCluster, httpPort: number): Promise<AgentPollResult | undefined> {
    if (this.throttle.dueIn(key) > 0) return this.lastPoll.get(key);
    const targets = agentTargets(this.o.cache.pods(cr.metadata.namespace, cr.metadata.name), httpPort);
    // No agent to ask yet: claim no round, so the first pods are polled as soon as they appear.
    if (targets.length === 0) return undefined;
    if (!this.throttle.tryBegin(key)) return this.lastPoll.get(key);
    try {
      const result = await (this.o.pollAgents ?? pollAgents)(targets, {});
      this.lastPoll.set(key, result);
      return result;
    } finally {
      this.throttle.end(key);
    }
  }
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

function daemonSetState(ds: V1DaemonSet | undefined): DaemonSetState | undefined {
  return ds
    ? {
        generation: ds.metadata?.generation ?? 0,
        observedGeneration: ds.status?.observedGeneration ?? 0,
        desiredNumberScheduled: ds.status?.desiredNumberScheduled ?? 0,
        numberReady: ds.status?.numberReady ?? 0,
        updatedNumberScheduled: ds.status?.updatedNumberScheduled ?? 0,
      }
    : undefined;
}

function ownedBy(o: KubernetesObject, cr: GossipCluster): boolean {
  return (o.metadata?.ownerReferences ?? []).some((r) => r.uid === cr.metadata.uid && r.controller);
}
