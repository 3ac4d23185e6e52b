// The path a user takes, end to end: `helm install` of charts/grapevine → the operator → a 10-node
// GossipCluster → Prometheus → every Grafana dashboard panel has data.
// REAL: kube-apiserver v1.31 + etcd + kube-controller-manager (garbage collector, and the DaemonSet,
// Deployment and ReplicaSet controllers), helm v3.22 (install, upgrade, test, uninstall), the operator
// as the chart renders it (its Deployment's command, args and env, its ServiceAccount's token, the
// chart's RBAC), one `grapevine agent` process per agent pod, Prometheus (Debian) and the queries of
// the committed dashboard.
// PLAYED BY THE TEST (test-kubelet.ts): the kubelet of 10 fake Nodes (runs the pods' processes, mounts
// ConfigMaps and the ServiceAccount token, probes readiness, writes pod status), the scheduler (binds
// pending pods), pod networking (a loopback address per pod), kube-proxy and cluster DNS; and the
// Prometheus Operator: the PodMonitor/ServiceMonitor the chart renders are translated into file_sd
// scrape jobs (monitor-scrape.ts).
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type V1Pod,
} from '@kubernetes/client-node';
import { expect } from 'chai';
import { gossipClusterCrd } from '../../src/operator/api/crd.js';
import { startDnsServer } from '../support/dns-server.js';
import { CHART_PATH, helm, skipWithoutHelm } from '../support/helm.js';
import { type KubeEnv, startKubeEnv } from '../support/kube-env.js';
import { findKubeBinaries } from '../support/kube-env-binaries.js';
import { ManagedProcess, waitUntil } from '../support/kube-env-process.js';
import { skipWithoutKubeBinaries } from '../support/kube-env-skip.js';
import { putCrd } from '../support/kube-raw.js';
import { gossipClusterApi } from '../support/operator-test-apis.js';
import { eventually } from '../support/process-cluster.js';
import { type ScrapeJob, TestPrometheus } from '../support/prometheus.js';
import { monitoringCrd } from '../support/prometheus-operator-crds.js';
import { dashboardQueries, loadDashboard, rateInterval } from './dashboard-queries.js';
import {
  type PodMonitor,
  podMonitorJobs,
  podMonitorTargets,
  type ServiceMonitor,
  serviceMonitorJobs,
  serviceMonitorTargets,
} from './monitor-scrape.js';
import { TestKubelet } from './test-kubelet.js';

const RELEASE = 'gv';
const RELEASE_NS = 'grapevine-system';
const NS = 'gossip';
const CR = 'ring';
const NODES = Array.from({ length: 10 }, (_, i) => `node-${i + 1}`);
const SCRAPE_S = 1;

interface Member {
  name: string;
  state: string;
}

describe('e2e (real: apiserver, etcd, controller-manager, helm, operator, agents, Prometheus; played: kubelet, scheduler, pod network, Prometheus Operator): helm install → 10-node GossipCluster → every dashboard panel has data', function () {
  this.timeout(300_000);
  let env: KubeEnv;
  let kcm: ManagedProcess | undefined;
  let kubelet: TestKubelet;
  let prom: TestPrometheus | undefined;
  let dns: Awaited<ReturnType<typeof startDnsServer>> | undefined;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let custom: CustomObjectsApi;
  let kubeconfig: string;
  let dir: string;
  let refresh: NodeJS.Timeout | undefined;
  const startedS = Math.floor(Date.now() / 1000);
  const figures: Record<string, number> = {};
  const fqdn = `${CR}-agent.${NS}.svc.cluster.local`;
  const table: { a: Record<string, string[]> } = { a: { [fqdn]: [] } };

  let gc: ReturnType<typeof gossipClusterApi>;
  const getCluster = (name = CR) => gc.get(name);
  const operatorPods = async (): Promise<V1Pod[]> =>
    (
      await core.listNamespacedPod({
        namespace: RELEASE_NS,
        labelSelector: 'app.kubernetes.io/component=operator',
      })
    ).items.filter((p) => !p.metadata?.deletionTimestamp);
  const liveAgents = () =>
    [...kubelet.pods.values()].filter(
      (p) => p.namespace === NS && p.name.startsWith(`${CR}-agent`) && !p.exited,
    );
  // The agents' /v1 routes need the bearer token the operator generated and mounted (Secret
  // <cluster>-api-token), exactly as a user's call would.
  let apiToken: string | undefined;
  const auth = async (): Promise<Record<string, string>> => {
    if (apiToken === undefined) {
      const secret = await core.readNamespacedSecret({ name: `${CR}-api-token`, namespace: NS });
      apiToken = Buffer.from(secret.data!.token!, 'base64').toString('utf8').trim();
    }
    return { authorization: `Bearer ${apiToken}` };
  };
  const members = async (ip: string): Promise<Member[]> => {
    const res = await fetch(`http://${ip}:7947/v1/members`, {
      headers: await auth(),
      signal: AbortSignal.timeout(2_000),
    });
    const body = (await res.json()) as Member[] | { members: Member[] };
    return Array.isArray(body) ? body : body.members;
  };
  const promValue = async (expr: string): Promise<number> => {
    const r = await prom!.query(expr);
    return r.length ? Number(r[0]!.value![1]) : Number.NaN;
  };
  const createCluster = (name: string, spec: Record<string, unknown>) => gc.create(name, spec);
  const patchSpec = (spec: Record<string, unknown>) => gc.patchSpec(CR, spec);
  const helmAdmin = (args: string[], timeoutMs = 240_000) => helm(args, { kubeconfig, timeoutMs });

  before(async function () {
    skipWithoutKubeBinaries(this);
    skipWithoutHelm(this);
    if (process.getuid?.() !== 0) {
      if (process.env.CI) throw new Error('needs root: the test kubelet mounts volumes with unshare');
      console.log('    SKIPPED: needs root (the test kubelet mounts volumes in a private mount namespace)');
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'gv-e2e-'));
    env = await startKubeEnv();
    kubeconfig = env.kubeconfigFile();
    core = env.adminConfig.makeApiClient(CoreV1Api);
    apps = env.adminConfig.makeApiClient(AppsV1Api);
    custom = env.adminConfig.makeApiClient(CustomObjectsApi);
    gc = gossipClusterApi(custom, NS);
    // The workload controllers kube-env does not run: DaemonSet pods, Deployment rollouts.
    const bins = findKubeBinaries(['kubeControllerManager']);
    if (!bins.ok) throw new Error(bins.message);
    kcm = new ManagedProcess(
      'kube-controller-manager (workloads)',
      bins.binaries.kubeControllerManager,
      () => [
        `--kubeconfig=${kubeconfig}`,
        '--controllers=daemonset,deployment,replicaset',
        '--use-service-account-credentials=false',
        '--leader-elect=false',
        '--secure-port=0',
      ],
      join(dir, 'kcm-workloads.log'),
    );
    kcm.start();
    const workloads = kcm;
    await waitUntil(workloads, 'started the DaemonSet controller', 60_000, () =>
      /Started controller.*daemonset/i.test(workloads.logTail(500)),
    );
    for (const kind of ['PodMonitor', 'ServiceMonitor'] as const) await putCrd(env, monitoringCrd(kind));
    for (const name of [RELEASE_NS, NS]) await core.createNamespace({ body: { metadata: { name } } });
    dns = await startDnsServer(table);
    const server = new URL(env.server);
    kubelet = new TestKubelet({
      kubeConfig: env.adminConfig,
      apiserver: { host: server.hostname, port: Number(server.port), caPem: env.caPem },
      nodes: NODES,
      subnet: `127.${randomInt(100, 250)}.${randomInt(1, 250)}`,
      dir: join(dir, 'pods'),
      grapevineImages: (image) => image.includes('grapevine'),
      dnsServer: dns.addr,
    });
    await kubelet.start();
  });

  after(async () => {
    clearInterval(refresh);
    console.log(`    figures: ${JSON.stringify(figures)}`);
    await kubelet?.stop();
    await prom?.stop();
    dns?.close();
    await kcm?.stop();
    await env?.stop();
    // GV_E2E_KEEP=1 keeps pod logs, Prometheus data and the controller-manager log for a look.
    if (dir && !process.env.GV_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
    else if (dir) console.log(`    kept ${dir}`);
  });

  let installStart = 0;
  it('helm install: the operator Deployment rolls out (2 replicas as real processes under the chart RBAC); one leads', async () => {
    installStart = Date.now();
    const r = await helmAdmin([
      'install',
      RELEASE,
      CHART_PATH,
      '--namespace',
      RELEASE_NS,
      '--wait',
      '--timeout',
      '3m',
      '--set',
      'metrics.podMonitor.enabled=true',
      '--set',
      `metrics.podMonitor.interval=${SCRAPE_S}s`,
      '--set',
      'metrics.serviceMonitor.enabled=true',
      '--set',
      `metrics.serviceMonitor.interval=${SCRAPE_S}s`,
      '--set',
      'operator.flags.statusIntervalMs=1000',
      '--set',
      'operator.flags.leaseDurationMs=4000',
      '--set',
      'operator.flags.renewDeadlineMs=3000',
      '--set',
      'operator.flags.retryPeriodMs=500',
    ]);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.stdout).to.match(/kubectl get gc/); // NOTES.txt
    const pods = await operatorPods();
    expect(pods).to.have.length(2);
    for (const p of pods) {
      const proc = kubelet.podByName(RELEASE_NS, p.metadata!.name!);
      expect(proc?.exited, p.metadata!.name).to.equal(false);
    }
    const leaders = async () => {
      let n = 0;
      for (const p of await operatorPods()) {
        const text = await (await fetch(`http://${p.status!.podIP}:8081/metrics`)).text();
        if (/^grapevine_operator_leader 1$/m.test(text)) n++;
      }
      return n;
    };
    expect(await eventually(async () => (await leaders()) === 1, 30_000)).to.equal(true);
  });

  it('Prometheus scrapes the operator and the agents through the ServiceMonitor/PodMonitor the chart rendered', async () => {
    const pm = (await custom.listNamespacedCustomObject({
      group: 'monitoring.coreos.com',
      version: 'v1',
      namespace: RELEASE_NS,
      plural: 'podmonitors',
    })) as { items: PodMonitor[] };
    const sm = (await custom.listNamespacedCustomObject({
      group: 'monitoring.coreos.com',
      version: 'v1',
      namespace: RELEASE_NS,
      plural: 'servicemonitors',
    })) as { items: ServiceMonitor[] };
    expect(pm.items).to.have.length(1);
    expect(sm.items).to.have.length(1);
    const jobs: ScrapeJob[] = [...podMonitorJobs(pm.items[0]!), ...serviceMonitorJobs(sm.items[0]!)];
    prom = await TestPrometheus.start(join(dir, 'prometheus'), jobs);
    const update = async () => {
      const pods = (await core.listPodForAllNamespaces()).items;
      const services = (await core.listServiceForAllNamespaces()).items;
      const groups = [
        ...podMonitorTargets(pm.items[0]!, pods),
        ...serviceMonitorTargets(sm.items[0]!, services, pods),
      ];
      for (const [i, g] of groups.entries()) prom!.setTargets(jobs[i]!.job_name, g);
      table.a[fqdn] = pods
        .filter((p) => p.metadata?.namespace === NS && p.status?.podIP && !p.metadata.deletionTimestamp)
        .map((p) => p.status!.podIP!);
    };
    await update();
    refresh = setInterval(() => void update().catch(() => undefined), 1_000);
    expect(
      await eventually(async () => (await promValue('sum(grapevine_operator_leader)')) === 1, 30_000),
    ).to.equal(true);
  });

  it('a GossipCluster for 10 nodes: every agent sees 10 alive and the CR status says converged', async () => {
    await createCluster(CR, { gossip: { probeIntervalMs: 500, probeTimeoutMs: 250 } });
    expect(
      await eventually(async () => liveAgents().length === 10, 120_000),
      `agents: ${liveAgents().length}`,
    ).to.equal(true);
    const allSeeTen = await eventually(async () => {
      for (const a of liveAgents()) {
        const view = await members(a.ip).catch(() => []);
        if (view.filter((m) => m.state === 'alive').length !== 10) return false;
      }
      return true;
    }, 120_000);
    expect(allSeeTen, 'not every agent sees 10 alive members').to.equal(true);
    const converged = await eventually(async () => {
      const s = (await getCluster()).status;
      return s?.converged === true && s.members?.alive === 10 && s.agentsReached === 10;
    }, 60_000);
    expect(converged, JSON.stringify((await getCluster()).status)).to.equal(true);
    figures.installToConvergedMs = Date.now() - installStart;
    const names = (await members(liveAgents()[0]!.ip)).map((m) => m.name).sort();
    expect(names).to.deep.equal([...NODES].sort()); // member name = NODE_NAME from the downward API
  });

  it('an event fired at one agent reaches all 10, and its spread shows in Prometheus', async () => {
    const origin = liveAgents()[0]!;
    const res = await fetch(`http://${origin.ip}:7947/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await auth()) },
      body: JSON.stringify({ name: 'e2e-deploy', payload: 'v1' }),
    });
    expect(res.status).to.equal(202);
    const q = `sum(grapevine_rumor_spread_seconds_count{kind="user-event", namespace="${NS}", gossipcluster="${CR}"})`;
    // The origin does not observe its own event: the other 9 do.
    expect(await eventually(async () => (await promValue(q)) >= 9, 30_000), q).to.equal(true);
  });

  let killedAt = 0;
  it('kill one agent (its node fails): status and metrics show it dead, a convergence time is recorded', async () => {
    const conv = `sum(grapevine_convergence_seconds_count{namespace="${NS}", gossipcluster="${CR}"})`;
    const before = await promValue(conv);
    killedAt = Date.now();
    kubelet.failNode('node-7');
    const dead = await eventually(async () => {
      const s = (await getCluster()).status;
      return s?.members?.dead === 1 && s.members.alive === 9;
    }, 90_000);
    expect(dead, JSON.stringify((await getCluster()).status)).to.equal(true);
    figures.killToDeadInStatusMs = Date.now() - killedAt;
    const deadMetric = `max(grapevine_members{state="dead", namespace="${NS}", gossipcluster="${CR}"})`;
    expect(await eventually(async () => (await promValue(deadMetric)) === 1, 30_000), deadMetric).to.equal(
      true,
    );
    expect(await eventually(async () => (await promValue(conv)) > before, 30_000), conv).to.equal(true);
  });

  it('a tunable changed in the CR reaches the agents by hot reload: no restart, no pod change', async () => {
    const pids = new Map(liveAgents().map((a) => [a.uid, a.proc.pid]));
    await patchSpec({ gossip: { gossipFanout: 4 } });
    const reloaded = await eventually(
      async () =>
        liveAgents().every((a) =>
          a.logs.some((l) => l.includes('"config reloaded"') && l.includes('gossip.gossipFanout')),
        ),
      60_000,
    );
    expect(reloaded, 'not every agent logged the reload of gossip.gossipFanout').to.equal(true);
    expect(new Map(liveAgents().map((a) => [a.uid, a.proc.pid]))).to.deep.equal(pids);
    for (const a of liveAgents()) {
      const self = (await (await fetch(`http://${a.ip}:7947/v1/self`, { headers: await auth() })).json()) as {
        restartRequired: string[];
      };
      expect(self.restartRequired).to.deep.equal([]);
    }
  });

  it('helm upgrade with a changed value: the operator rolls, the GossipCluster keeps being reconciled', async () => {
    const oldPods = (await operatorPods()).map((p) => p.metadata!.name!);
    const r = await helmAdmin([
      'upgrade',
      RELEASE,
      CHART_PATH,
      '--namespace',
      RELEASE_NS,
      '--reuse-values',
      '--set',
      'operator.flags.workers=3',
      '--wait',
      '--timeout',
      '3m',
    ]);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    const rolled = await eventually(async () => {
      const pods = await operatorPods();
      return pods.length === 2 && pods.every((p) => !oldPods.includes(p.metadata!.name!));
    }, 60_000);
    expect(rolled, 'the operator pods were not replaced').to.equal(true);
    for (const p of await operatorPods()) {
      expect(p.spec!.containers[0]!.args).to.include('--workers=3');
    }
    // The old pods are terminating (SIGTERM, then the kubelet confirms the deletion): their processes end.
    const oldGone = await eventually(
      async () =>
        oldPods.every((name) => {
          const old = kubelet.podByName(RELEASE_NS, name);
          return old === undefined || old.exited;
        }),
      30_000,
    );
    expect(oldGone, `old operator processes still run: ${oldPods}`).to.equal(true);
    // The new leader reconciles the existing cluster: a tag change reaches its ConfigMap.
    await patchSpec({ tags: { rolled: 'yes' } });
    const applied = await eventually(async () => {
      const cm = await core.readNamespacedConfigMap({ name: `${CR}-agent`, namespace: NS });
      return cm.data?.['agent.yaml']?.includes('rolled: yes') ?? false;
    }, 60_000);
    expect(applied).to.equal(true);
    const s = (await getCluster()).status;
    expect(s?.members?.alive, JSON.stringify(s)).to.equal(9);
  });

  it('helm test: the hook pod (the release image, run by the test kubelet) finds the operator and the CRD', async () => {
    const r = await helmAdmin(['test', RELEASE, '--namespace', RELEASE_NS, '--timeout', '2m']);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.stdout).to.match(/Phase:\s+Succeeded/);
  });

  it('every dashboard panel query returns data from this Prometheus (template variables substituted)', async () => {
    const step = 2;
    const vars = {
      namespace: NS,
      gossipcluster: CR,
      __rate_interval: rateInterval(step, SCRAPE_S),
      datasource: 'prometheus',
    };
    const d = loadDashboard();
    // The template variables' own queries offer this namespace and cluster.
    for (const [label, value] of [
      ['namespace', NS],
      ['gossipcluster', CR],
    ] as const) {
      const res = await fetch(`${prom!.url}/api/v1/label/${label}/values?match[]=grapevine_agent_info`);
      expect(((await res.json()) as { data: string[] }).data, label).to.include(value);
    }
    const queries = dashboardQueries(d, vars);
    expect(queries.length).to.be.at.least(20);
    const end = Math.ceil(Date.now() / 1000);
    const empty: string[] = [];
    for (const q of queries) {
      const series = await prom!.queryRange(q.expr, startedS, end, step);
      const hasData = series.some((s) => (s.values ?? []).some(([, v]) => Number.isFinite(Number(v))));
      if (!hasData) empty.push(`panel "${q.panel}" query ${q.refId}: ${q.expr}`);
    }
    expect(empty, `panels without data:\n${empty.join('\n')}`).to.deep.equal([]);
  });

  it('delete the CR: the garbage collector removes its DaemonSet and pods, and the agents stop', async () => {
    await gc.delete(CR);
    const gone = await eventually(
      async () => liveAgents().filter((a) => a.node !== 'node-7').length === 0,
      120_000,
    );
    expect(gone, `agents still running: ${liveAgents().map((a) => a.name)}`).to.equal(true);
    const ds = await apps.listNamespacedDaemonSet({ namespace: NS });
    expect(ds.items).to.have.length(0);
  });

  it('helm uninstall: the operator goes; the CRD and the users’ GossipClusters stay', async () => {
    // A user's GossipCluster that must survive (no node matches it: it runs no agents).
    await createCluster('kept', { nodeSelector: { 'grapevine.dev/none': 'true' } });
    expect(
      await eventually(
        async () => (await getCluster('kept')).status?.observedGeneration !== undefined,
        30_000,
      ),
    ).to.equal(true);
    const r = await helmAdmin(['uninstall', RELEASE, '--namespace', RELEASE_NS, '--wait', '--timeout', '2m']);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    const stopped = await eventually(
      async () => [...kubelet.pods.values()].every((p) => p.namespace !== RELEASE_NS || p.exited),
      60_000,
    );
    expect(stopped, 'operator processes still running').to.equal(true);
    expect(await apps.listNamespacedDeployment({ namespace: RELEASE_NS }))
      .to.have.property('items')
      .with.length(0);
    const crd = gossipClusterCrd() as { metadata: { name: string } };
    const crds = await env.adminConfig
      .makeApiClient(ApiextensionsV1Api)
      .readCustomResourceDefinition({ name: crd.metadata.name });
    expect(crds.metadata?.name).to.equal(crd.metadata.name);
    expect((await getCluster('kept')).metadata.name).to.equal('kept');
  });
});
