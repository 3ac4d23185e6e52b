// The operator process: informers feed a cache and a work queue; while this replica leads (Lease),
// workers run Reconciler passes; a health/metrics server answers probes. Only the plumbing is here —
// what to create is decided by desiredObjects(), what to report by computeStatus().
import {
  ApiextensionsV1Api,
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
import { ObjectApplier, statusCode } from './apply/object-applier.js';
import { EventRecorder } from './controller/event-recorder.js';
import { HealthServer } from './controller/health-server.js';
import { LeaderElector, type LeaderElectorOptions } from './controller/leader-election.js';
import { OperatorMetrics } from './controller/operator-metrics.js';
import { ResilientInformer } from './controller/resilient-informer.js';
import { WorkQueue } from './controller/work-queue.js';
import { type OperatorCache, Reconciler } from './reconciler.js';

export const MANAGED_SELECTOR = 'app.kubernetes.io/managed-by=grapevine-operator';
const INSTANCE_LABEL = 'app.kubernetes.io/instance';
const SERVICE_MONITOR_CRD = 'servicemonitors.monitoring.coreos.com';

export interface OperatorSettings {
  /** A kubeconfig file; default: in-cluster, else $KUBECONFIG or ~/.kube/config. */
  kubeconfig?: string;
  /** Or a ready KubeConfig (tests). */
  kubeConfig?: KubeConfig;
  namespace?: string;
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
  const crds = kc.makeApiClient(ApiextensionsV1Api);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const ns = s.namespace;

  const queue = new WorkQueue({});
  let elector: LeaderElector | null = null;
  const metrics = new OperatorMetrics({
    queueDepth: () => queue.length,
    isLeader: () => (elector ? elector.isLeader : true),
  });
  const applier = new ObjectApplier(objects, custom, (verb, kind) => metrics.apiWrite(verb, kind));
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
  }) => {
    const base = w.apiVersion.includes('/') ? `/apis/${w.apiVersion}` : `/api/${w.apiVersion}`;
    return informer(
      w.name,
      ns ? `${base}/namespaces/${ns}/${w.plural}` : `${base}/${w.plural}`,
      () => objects.list(w.apiVersion, w.kind, ns, undefined, undefined, undefined, undefined, w.selector),
      w.selector,
    );
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

  // ServiceMonitors only exist with the Prometheus Operator: watch them once their CRD shows up.
  let serviceMonitors: ResilientInformer<KubernetesObject> | null = null;
  const checkServiceMonitorCrd = async () => {
    if (serviceMonitors) return;
    try {
      await crds.readCustomResourceDefinition({ name: SERVICE_MONITOR_CRD });
    } catch (err) {
      if (statusCode(err) !== 404) log.warn({ err: String(err) }, 'cannot check for the ServiceMonitor CRD');
      return;
    }
    serviceMonitors = watch({
      name: 'servicemonitors',
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      plural: 'servicemonitors',
      selector: sel,
    });
    for (const ev of ['add', 'update', 'delete'] as const) serviceMonitors.on(ev, enqueueOwner);
    serviceMonitors.start();
    log.info('ServiceMonitor CRD found: ServiceMonitors will be managed');
    for (const c of clusters.list()) enqueue(c);
  };
  await checkServiceMonitorCrd();
  const crdTimer = setInterval(() => void checkServiceMonitorCrd(), 60_000);

  const cache: OperatorCache = {
    cluster: (namespace, name) => clusters.get(name, namespace) as GossipCluster | undefined,
    owned: (namespace, instance) =>
      [...owned, ...(serviceMonitors ? [serviceMonitors] : [])].flatMap((inf) =>
        inf.list(namespace).filter((o) => o.metadata?.labels?.[INSTANCE_LABEL] === instance),
      ),
    pods: (namespace, instance) =>
      pods.list(namespace).filter((p) => p.metadata?.labels?.[INSTANCE_LABEL] === instance) as V1Pod[],
    serviceMonitorCrdPresent: () => serviceMonitors !== null,
  };
  const reconciler = new Reconciler({
    cache,
    applier,
    events,
    logger: log,
    statusIntervalMs: s.statusIntervalMs,
    clusterDomain: s.clusterDomain,
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
  for (const inf of [...owned, pods])
    for (const ev of ['add', 'update', 'delete'] as const) inf.on(ev, enqueueOwner);
  for (const inf of informers) inf.start();

  // Workers run only while this replica leads; informers run always, so a follower is warm.
  let leading = false;
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
      } catch (err) {
        metrics.reconciled('error', (performance.now() - started) / 1000);
        log.warn(
          { key, err: err instanceof Error ? err.message : String(err) },
          'reconcile failed; retrying with backoff',
        );
        queue.addRateLimited(key);
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
  workersDone = Array.from({ length: s.workers }, () => work());

  const health = new HealthServer({ informers: () => informers, metrics });
  const url = await health.start(s.http);

  if (s.leaderElection) {
    elector = new LeaderElector({
      coordinationApi: kc.makeApiClient(CoordinationV1Api),
      ...s.leaderElection,
      logger: log,
      onStartedLeading: () => void startLeading(),
      onStoppedLeading: () => {
        leading = false;
        log.info('no longer leading: reconciles paused');
      },
      onNewLeader: (id) => log.info({ leader: id }, 'leader observed'),
    });
    void elector.run();
  } else {
    void startLeading();
  }
  log.info({ url, namespace: ns ?? '(all)', leaderElection: s.leaderElection !== null }, 'operator started');

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

function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}
