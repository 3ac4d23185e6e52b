// The operator process: informers feed a cache and a work queue; while this replica leads (Lease),
// workers run Reconciler passes; a health/metrics server answers probes. Only the plumbing is here —
// what to create is decided by desiredObjects(), what to report by computeStatus().
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  KubernetesObjectApi,
  type V1Pod,
} from '@kubernetes/client-node';
import pino, { type Logger } from 'pino';
import { API_VERSION, type GossipCluster, KIND, PLURAL } from './api/gossipcluster-schema.js';
import { resolveSpec } from './api/resolve-spec.js';
import { ObjectApplier, statusCode } from './apply/object-applier.js';
import { isControlPlaneError } from './controller/control-plane-error.js';
import { EventRecorder } from './controller/event-recorder.js';
import { ExponentialBackoff } from './controller/exponential-backoff.js';
import { HealthServer } from './controller/health-server.js';
import { LeaderElector, type LeaderElectorOptions } from './controller/leader-election.js';
import { OperatorMetrics } from './controller/operator-metrics.js';
import { ResilientInformer } from './controller/resilient-informer.js';
import { WatchedKind } from './controller/watched-kind.js';
import { WorkQueue } from './controller/work-queue.js';
import { type OperatorCache, Reconciler } from './reconciler.js';
import type { PollOptions } from './status/agent-poller.js';
import { agentTargets } from './status/agent-targets.js';
import { StatusCollector } from './status/status-collector.js';
import { StatusWriter } from './status/status-writer.js';
import { secretTokenProvider, type TokenProvider } from './status/token-provider.js';

export const MANAGED_SELECTOR = 'app.kubernetes.io/managed-by=grapevine-operator';
const INSTANCE_LABEL = 'app.kubernetes.io/instance';
/** After an API error that is the control plane's (unreachable, 5xx, 429), retry every key within this. */
const OUTAGE_RETRY = { baseMs: 250, maxMs: 5_000 };

export interface OperatorSettings {
  /** A kubeconfig file; default: in-cluster, else $KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
  /** Or a ready KubeConfig (tests). */
  kubeConfig?: KubeConfig;
  /** Namespaces to watch; empty or absent: all (cluster-wide). Namespaced mode needs Roles only. */
  namespaces?: string[];
  http: string;
  /** The Lease and its timings (see LeaderElector); null: no election, a single replica only. */
  leaderElection: Pick<
    LeaderElectorOptions,
    'namespace' | 'name' | 'identity' | 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'
  > | null;
  statusIntervalMs: number;
  workers: number;
  logLevel: string;
  logger?: Logger;
  /** Informer resync period (default 10 min): every cached object is reconciled again. */
  resyncMs?: number;
  /** The cluster's DNS domain, for the agents' Service name (default cluster.local). */
  clusterDomain?: string;
  /** An informer failing this long makes the operator not ready (default 2 min; see readiness()). */
  informerStuckAfterMs?: number;
  /** Status rounds: sample size, concurrency, timeout, time budget (agent-poller.ts defaults). */
  poll?: Omit<PollOptions, 'token' | 'fetch' | 'random'>;
  /** Status rounds running at once across all clusters (status-collector.ts default). */
  maxConcurrentRounds?: number;
  /** The agents' API token of a cluster; default: Secret <name>-api-token, key token. */
  tokenProvider?: TokenProvider;
}

export interface Operator {
  readonly metrics: OperatorMetrics;
  readonly url: string;
  isLeader(): boolean;
  readonly stopped: Promise<void>;
  stop(reason: string): Promise<void>;
}

type AnyList = KubernetesListObject<KubernetesObject>;

export async function startOperator(s: OperatorSettings): Promise<Operator> {
  const log = s.logger ?? pino({ level: s.logLevel, base: { component: 'grapevine-operator' } });
  const kc = s.kubeConfig ?? loadKubeConfig(s.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const namespaces = (s.namespaces ?? []).filter((n) => n !== '');
  /** '' stands for "all namespaces" (one cluster-wide informer per kind). */
  const scopes = namespaces.length > 0 ? namespaces : [''];

  const queue = new WorkQueue({});
  let elector: LeaderElector | null = null;
  const metrics = new OperatorMetrics({
    queueDepth: () => queue.length,
    isLeader: () => (elector ? elector.isLeader : true),
  });
  const applier = new ObjectApplier(objects, (verb, kind) => metrics.apiWrite(verb, kind));
  const events = new EventRecorder({
    coreApi: core,
    component: 'grapevine-operator',
    instance: s.leaderElection?.identity,
    logger: log,
    onWrite: (verb, kind) => metrics.apiWrite(verb, kind),
  });

  const informers: ResilientInformer<KubernetesObject>[] = [];
  const informer = (name: string, path: string, listFn: () => Promise<AnyList>, labelSelector?: string) => {
    const inf = new ResilientInformer<KubernetesObject>({
      kubeConfig: kc,
      name,
      path,
      listFn,
      labelSelector,
      resyncMs: s.resyncMs,
      stuckAfterMs: s.informerStuckAfterMs,
      logger: log,
      onRestart: () => metrics.informerRestarted(name),
    });
    informers.push(inf);
    return inf;
  };
  // Every watched kind is listed the same way; only apiVersion, kind and plural differ.
  const watch = (w: {
    name: string;
    apiVersion: string;
    kind: string;
    plural: string;
    selector?: string;
  }): WatchedKind => {
    const base = w.apiVersion.includes('/') ? `/apis/${w.apiVersion}` : `/api/${w.apiVersion}`;
    const perScope = new Map(
      scopes.map((scope) => [
        scope,
        informer(
          scope ? `${w.name}/${scope}` : w.name,
          scope ? `${base}/namespaces/${scope}/${w.plural}` : `${base}/${w.plural}`,
          () => listWithKind(objects, w.apiVersion, w.kind, scope || undefined, w.selector),
          w.selector,
        ),
      ]),
    );
    return new WatchedKind(perScope);
  };
  const sel = MANAGED_SELECTOR;
  const clusters = watch({ name: 'gossipclusters', apiVersion: API_VERSION, kind: KIND, plural: PLURAL });
  const owned = [
    { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' },
    { apiVersion: 'v1', kind: 'Service', plural: 'services' },
    { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts' },
    { apiVersion: 'apps/v1', kind: 'DaemonSet', plural: 'daemonsets' },
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', plural: 'networkpolicies' },
  ].map((w) => watch({ ...w, name: w.plural, selector: sel }));
  const pods = watch({ name: 'pods', apiVersion: 'v1', kind: 'Pod', plural: 'pods', selector: sel });

  // ServiceMonitors only exist with the Prometheus Operator: watch them once their API shows up. A
  // list of one ServiceMonitor in the operator's scope answers that (404 while the CRD is absent), so
  // the operator needs no permission on CustomResourceDefinitions and works with Roles only.
  let serviceMonitors: WatchedKind | null = null;
  const SM = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor' };
  const checkServiceMonitors = async () => {
    if (serviceMonitors) return;
    try {
      await objects.list(
        SM.apiVersion,
        SM.kind,
        scopes[0] || undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        sel,
        1,
      );
    } catch (err) {
      if (statusCode(err) !== 404) log.warn({ err: String(err) }, 'cannot check for the ServiceMonitor API');
      return;
    }
    const sms = watch({ ...SM, name: 'servicemonitors', plural: 'servicemonitors', selector: sel });
    serviceMonitors = sms;
    for (const ev of ['add', 'update', 'delete'] as const) sms.on(ev, enqueueOwner);
    for (const inf of sms.informers) inf.start();
    log.info('ServiceMonitor API found: ServiceMonitors will be managed');
    for (const c of clusters.list()) enqueue(c);
  };
  await checkServiceMonitors();
  // A one-item list: cheap enough to notice a newly installed Prometheus Operator within 15 s.
  const crdTimer = setInterval(() => void checkServiceMonitors(), 15_000);

  const cache: OperatorCache = {
    cluster: (namespace, name) => clusters.get(name, namespace) as unknown as GossipCluster | undefined,
    owned: (namespace, instance) =>
      [...owned, ...(serviceMonitors ? [serviceMonitors] : [])].flatMap((inf) =>
        inf.list(namespace).filter((o) => o.metadata?.labels?.[INSTANCE_LABEL] === instance),
      ),
    pods: (namespace, instance) =>
      pods.list(namespace).filter((p) => p.metadata?.labels?.[INSTANCE_LABEL] === instance) as V1Pod[],
    serviceMonitorCrdPresent: () => serviceMonitors !== null,
  };
  const collector = new StatusCollector({
    intervalMs: s.statusIntervalMs,
    pollOptions: s.poll,
    maxConcurrentRounds: s.maxConcurrentRounds,
    token:
      s.tokenProvider ??
      secretTokenProvider(cache.cluster, (namespace, name) =>
        applier.read({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace } }),
      ),
    logger: log,
    // Only while leading, like reconciles: a follower asks no agent.
    subject: (key) => {
      const [namespace = '', name = ''] = key.split('/');
      const cr = cache.cluster(namespace, name);
      if (!cr || cr.metadata.deletionTimestamp || !leading) return null;
      const spec = resolveSpec(cr.spec);
      if (!spec.ok) return { cluster: cr, targets: [] };
      return { cluster: cr, targets: agentTargets(cache.pods(namespace, name), spec.spec.ports.http) };
    },
    onChange: (key) => queue.add(key),
    onRound: (_key, round) => metrics.statusRound(round.durationMs / 1000, round.polled),
  });
  const reconciler = new Reconciler({
    cache,
    applier,
    events,
    logger: log,
    status: new StatusWriter(custom, (verb, kind) => metrics.apiWrite(verb, kind), log),
    collector,
    clusterDomain: s.clusterDomain,
    recheckMs: s.statusIntervalMs,
  });

  function enqueue(o: KubernetesObject): void {
    if (o.metadata?.namespace && o.metadata.name) queue.add(`${o.metadata.namespace}/${o.metadata.name}`);
  }
  function enqueueOwner(o: KubernetesObject): void {
    const instance = o.metadata?.labels?.[INSTANCE_LABEL];
    if (o.metadata?.namespace && instance) queue.add(`${o.metadata.namespace}/${instance}`);
  }
  clusters.on('add', enqueue);
  clusters.on('update', enqueue);
  clusters.on('delete', (o) => {
    enqueue(o);
    reconciler.forget(`${o.metadata?.namespace}/${o.metadata?.name}`);
  });
  for (const kind of [...owned, pods])
    for (const ev of ['add', 'update', 'delete'] as const) kind.on(ev, enqueueOwner);
  for (const inf of informers) inf.start();

  // Workers run only while this replica leads; informers run always, so a follower is warm.
  let leading = false;
  /** One backoff for control-plane errors, shared by all keys, reset by any successful reconcile. */
  const outage = new ExponentialBackoff(OUTAGE_RETRY);
  let workersDone: Promise<void>[] = [];
  const work = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      if (!leading) {
        queue.done(key);
        continue;
      }
      const started = performance.now();
      try {
        const res = await reconciler.reconcile(key);
        metrics.reconciled('success', (performance.now() - started) / 1000);
        queue.forget(key);
        if (res.requeueAfterMs !== undefined) queue.addAfter(key, res.requeueAfterMs);
        outage.reset();
      } catch (err) {
        metrics.reconciled('error', (performance.now() - started) / 1000);
        const controlPlane = isControlPlaneError(err);
        log.warn(
          { key, err: err instanceof Error ? err.message : String(err), controlPlane },
          'reconcile failed; retrying with backoff',
        );
        // The control plane's failure is no fault of this key: retry it with the shared, short outage
        // backoff, so when the apiserver is back every key is reconciled within seconds instead of
        // sitting minutes out on a per-key backoff that grew during the outage.
        if (controlPlane) queue.addAfter(key, outage.next());
        else queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };
  const startLeading = async () => {
    leading = true;
    log.info('leading: reconciling');
    await Promise.all(informers.map((i) => i.waitForSync()));
    for (const c of clusters.list()) enqueue(c);
  };
  const stopLeading = () => {
    leading = false;
    // The collector's loops end at their next round (subject() answers null while not leading).
    log.info('no longer leading: reconciles paused');
  };
  workersDone = Array.from({ length: s.workers }, () => work());

  const health = new HealthServer({ informers: () => informers, metrics });
  const url = await health.start(s.http);

  if (s.leaderElection) {
    elector = new LeaderElector({
      coordinationApi: kc.makeApiClient(CoordinationV1Api),
      ...s.leaderElection,
      logger: log,
      onStartedLeading: () => void startLeading(),
      onStoppedLeading: stopLeading,
      onNewLeader: (id) => log.info({ leader: id }, 'leader observed'),
    });
    void elector.run();
  } else {
    void startLeading();
  }
  log.info(
    {
      url,
      namespaces: namespaces.length > 0 ? namespaces : '(all)',
      leaderElection: s.leaderElection !== null,
    },
    'operator started',
  );

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => {
    resolveStopped = r;
  });
  let stopping: Promise<void> | null = null;
  return {
    metrics,
    url,
    isLeader: () => leading,
    stopped,
    stop(reason) {
      stopping ??= (async () => {
        log.info({ reason }, 'operator stopping');
        clearInterval(crdTimer);
        // Release the lease first (after in-flight work is paused) so a standby takes over at once.
        leading = false;
        collector.stop();
        events.stop();
        await elector?.stop();
        await queue.shutdown({ drain: false });
        await Promise.all(workersDone);
        await Promise.all(informers.map((i) => i.stop()));
        await health.close();
        log.info('operator stopped');
        resolveStopped();
      })();
      return stopping;
    },
  };
}

/**
 * Lists a kind and stamps apiVersion and kind on every item: list responses leave them out of the
 * items, while watch events carry them. Without the stamp, objects an informer re-listed (after an
 * apiserver or etcd outage, or at start-up) had no kind, so the reconciler could not match them with
 * the desired objects and client-node refused to delete them ("Required spec property kind is not set").
 */
async function listWithKind(
  objects: KubernetesObjectApi,
  apiVersion: string,
  kind: string,
  namespace: string | undefined,
  selector: string | undefined,
): Promise<AnyList> {
  const list = await objects.list(
    apiVersion,
    kind,
    namespace,
    undefined,
    undefined,
    undefined,
    undefined,
    selector,
  );
  for (const item of list.items) {
    item.apiVersion ??= apiVersion;
    item.kind ??= kind;
  }
  return list;
}

function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}
