// Issue 9 (status, plumbing, privilege) against a real kube-apiserver v1.31 + etcd (+ the garbage
// collector); the operator is a real `grapevine operator` process under its own RBAC from rbac.ts.
// No kubelet and no DaemonSet controller: where a DaemonSet status is needed, the test writes it.
import {
  ApiextensionsV1Api,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { expect } from 'chai';
import { type GossipCluster, GROUP, PLURAL, VERSION } from '../../src/operator/api/gossipcluster-schema.js';
import { operatorRbac } from '../../src/operator/rbac.js';
import { AgentProcess } from '../support/agent-process.js';
import { type KubeEnv, startKubeEnv } from '../support/kube-env.js';
import { skipWithoutKubeBinaries } from '../support/kube-env-skip.js';
import { kubeRaw } from '../support/kube-raw.js';
import {
  apiserverWrites,
  exists,
  gossipClusterApi,
  installGossipClusterCrd,
  installOperatorApis,
} from '../support/operator-test-apis.js';
import { eventually } from '../support/process-cluster.js';

const NS = 'gv-status';
const OPERATOR_USER = 'grapevine-operator';
const NS_OPERATOR_USER = 'grapevine-ns-operator';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('operator status, recovery and privilege on a real kube-apiserver (issue 9)', function () {
  this.timeout(240_000);
  let env: KubeEnv;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let custom: CustomObjectsApi;
  let objects: KubernetesObjectApi;
  let op: AgentProcess;
  const procs: AgentProcess[] = [];

  const startOperator = async (user: string, extra: string[] = []) => {
    const p = AgentProcess.spawnCommand('operator', [
      '--kubeconfig',
      env.kubeconfigFile(env.userToken(user)),
      '--http',
      '127.0.0.1:0',
      '--no-leader-elect',
      '--status-interval-ms',
      '1000',
      '--informer-stuck-after-ms',
      '2000',
      '--log-level',
      'info',
      ...extra,
    ]);
    procs.push(p);
    const started = await p.waitForLog((l) => l.msg === 'operator started', 30_000);
    p.url = String(started.url);
    return p;
  };
  const metric = async (p: AgentProcess, re: RegExp) => {
    const text = await (await fetch(`${p.url}/metrics`)).text();
    return [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
  };
  const writes = (p: AgentProcess, verb = '[^"]*', kind = '[^"]*') =>
    metric(
      p,
      new RegExp(`^grapevine_operator_api_writes_total\\{verb="${verb}",kind="${kind}"\\} (\\d+)$`, 'gm'),
    );
  let gc: ReturnType<typeof gossipClusterApi>;
  const getCluster = (name: string, namespace = NS) => gc.get(name, namespace);
  const createCluster = (name: string, spec: Record<string, unknown>, namespace = NS) =>
    gc.create(name, spec, namespace);
  const patchSpec = (name: string, spec: Record<string, unknown>, namespace = NS) =>
    gc.patchSpec(name, spec, namespace);

  const configMapData = async (name: string, namespace = NS) => {
    try {
      return (
        (await core.readNamespacedConfigMap({ name: `${name}-agent`, namespace })).data?.['agent.yaml'] ?? ''
      );
    } catch {
      return '';
    }
  };
  const condition = (c: GossipCluster, type: string) => c.status?.conditions?.find((x) => x.type === type);
  const setDaemonSetStatus = async (name: string, n: number, namespace = NS) => {
    const ds = await apps.readNamespacedDaemonSet({ name: `${name}-agent`, namespace });
    await apps.patchNamespacedDaemonSetStatus(
      {
        name: `${name}-agent`,
        namespace,
        body: {
          status: {
            observedGeneration: ds.metadata?.generation,
            desiredNumberScheduled: n,
            currentNumberScheduled: n,
            numberReady: n,
            updatedNumberScheduled: n,
            numberAvailable: n,
            numberMisscheduled: 0,
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  };

  before(async function () {
    skipWithoutKubeBinaries(this);
    env = await startKubeEnv({ users: [{ name: OPERATOR_USER }, { name: NS_OPERATOR_USER }] });
    const admin = env.adminConfig;
    core = admin.makeApiClient(CoreV1Api);
    apps = admin.makeApiClient(AppsV1Api);
    custom = admin.makeApiClient(CustomObjectsApi);
    objects = KubernetesObjectApi.makeApiClient(admin);
    gc = gossipClusterApi(custom, NS);
    await installOperatorApis(env, {
      namespace: NS,
      operatorUser: OPERATOR_USER,
      moreNamespaces: ['gv-a', 'gv-b', 'gv-c'],
    });
    op = await startOperator(OPERATOR_USER);
  });

  after(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await env?.stop();
  });

  it('a permanently failing apply: Degraded once, no status rewrites, one Event, Ready still describes the DaemonSet', async () => {
    // A quota of zero ServiceMonitors (its status written by hand: no quota controller runs) makes the
    // last object of the cluster fail to apply, on every retry, while the DaemonSet exists.
    await core.createNamespacedResourceQuota({
      namespace: NS,
      body: {
        metadata: { name: 'no-sm' },
        spec: { hard: { 'count/servicemonitors.monitoring.coreos.com': '0' } },
      },
    });
    await core.patchNamespacedResourceQuotaStatus(
      {
        name: 'no-sm',
        namespace: NS,
        body: {
          status: {
            hard: { 'count/servicemonitors.monitoring.coreos.com': '0' },
            used: { 'count/servicemonitors.monitoring.coreos.com': '0' },
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await createCluster('failing', { metrics: { serviceMonitor: { enabled: true } } });
    expect(
      await eventually(
        () => exists(() => apps.readNamespacedDaemonSet({ name: 'failing-agent', namespace: NS })),
        20_000,
      ),
    ).to.equal(true);
    await setDaemonSetStatus('failing', 1);
    const degraded = await eventually(async () => {
      const c = await getCluster('failing');
      return condition(c, 'Degraded')?.reason === 'ApplyFailed' && c.status?.desiredAgents === 1;
    }, 20_000);
    expect(degraded, JSON.stringify((await getCluster('failing')).status)).to.equal(true);
    await sleep(2_000);
    const [status0, events0] = [await writes(op, 'status'), await writes(op, '(?:create|update)', 'Event')];
    const errors0 = await metric(op, /^grapevine_operator_reconcile_errors_total (\d+)$/gm);
    await sleep(15_000);
    const retries = (await metric(op, /^grapevine_operator_reconcile_errors_total (\d+)$/gm)) - errors0;
    // Before: 12 status patches and 11 Event updates in 15 s.
    expect(await writes(op, 'status'), 'status rewritten on retries').to.equal(status0);
    expect(await writes(op, '(?:create|update)', 'Event'), 'Event written on retries').to.equal(events0);
    expect(retries, 'the failing key is still retried (backoff)').to.be.at.least(1);
    const c = await getCluster('failing');
    // Before: Ready=False/NoAgents although the DaemonSet exists.
    expect(condition(c, 'Ready')?.reason).to.not.equal('NoAgents');
    expect(condition(c, 'Degraded')?.message).to.match(/exceeded quota|forbidden/i);
    const events = (await core.listNamespacedEvent({ namespace: NS })).items.filter(
      (e) => e.involvedObject.name === 'failing' && e.reason === 'ApplyFailed',
    );
    expect(events).to.have.length(1);
    // The cause removed and the cluster touched (an event reconciles at once, whatever the backoff):
    // it recovers, and no retry of it is left to land in the next test's write count.
    await core.deleteNamespacedResourceQuota({ name: 'no-sm', namespace: NS });
    await patchSpec('failing', { logLevel: 'debug' });
    const recovered = await eventually(async () => {
      const c = await getCluster('failing');
      return (
        condition(c, 'Degraded')?.status === 'False' && c.status?.observedGeneration === c.metadata.generation
      );
    }, 30_000);
    expect(recovered, JSON.stringify(condition(await getCluster('failing'), 'Degraded'))).to.equal(true);
  });

  it('a new cluster costs one status write; spec updates cost one ConfigMap apply and one status write each', async () => {
    const created0 = await writes(op, 'status');
    await createCluster('updates', {});
    expect(await eventually(async () => (await configMapData('updates')) !== '', 20_000)).to.equal(true);
    // Settled first: the DaemonSet's arrival in the cache is a real status change (DaemonSetPending → …).
    await eventually(async () => {
      const c = await getCluster('updates');
      const progressing = condition(c, 'Progressing')?.reason;
      return (
        c.status?.observedGeneration !== undefined &&
        progressing !== undefined &&
        progressing !== 'DaemonSetPending'
      );
    }, 20_000);
    await sleep(1_000);
    // Before: two (DaemonSetPending, then again when the informer delivered the DaemonSet it created).
    expect((await writes(op, 'status')) - created0, 'status writes for a new cluster').to.equal(1);
    // Counted twice: by the operator's metric and by the apiserver's own request counter.
    const server = {
      status: await apiserverWrites(env, PLURAL, 'status'),
      cm: await apiserverWrites(env, 'configmaps'),
    };
    const before = {
      cm: await writes(op, 'apply', 'ConfigMap'),
      status: await writes(op, 'status'),
      events: await writes(op, '(?:create|update)', 'Event'),
      all: await writes(op),
    };
    const N = 20;
    for (let i = 1; i <= N; i++) {
      await patchSpec('updates', { gossip: { probeIntervalMs: 1000 + i } });
      await eventually(
        async () => (await configMapData('updates')).includes(`probeIntervalMs: ${1000 + i}`),
        10_000,
      );
    }
    await eventually(async () => {
      const c = await getCluster('updates');
      return c.status?.observedGeneration === c.metadata.generation;
    }, 10_000);
    await sleep(1_000);
    const cm = (await writes(op, 'apply', 'ConfigMap')) - before.cm;
    const status = (await writes(op, 'status')) - before.status;
    const events = (await writes(op, '(?:create|update)', 'Event')) - before.events;
    const other = (await writes(op)) - before.all - cm - status - events;
    // Target: ≤ 1 ConfigMap apply + 1 status write per update (before: 694 writes for 200 updates);
    // the "Updated ConfigMap" Event is one Event whose count is coalesced into ≤ 1 update a minute.
    expect(cm, 'ConfigMap applies').to.be.within(1, N);
    expect(status, 'status writes').to.be.within(1, N);
    // The apiserver saw the same: at most one ConfigMap write and one status write per update.
    const serverStatus = (await apiserverWrites(env, PLURAL, 'status')) - server.status;
    const serverCm = (await apiserverWrites(env, 'configmaps')) - server.cm;
    expect(serverStatus, 'status writes the apiserver counted').to.equal(status);
    expect(serverCm, 'ConfigMap writes the apiserver counted').to.be.within(cm, N);
    expect(other, 'other writes (DaemonSet, Service, ...)').to.equal(0);
    expect(events, 'Event writes for 20 updates').to.be.at.most(3);
    const s = (await getCluster('updates')).status!;
    expect(s.conditions?.map((x) => x.type).sort()).to.deep.equal([
      'Converged',
      'Degraded',
      'Progressing',
      'Ready',
    ]);
  });

  it('etcd killed for 20 s: no "kind is not set" errors, and every cluster is reconciled promptly after', async () => {
    const names = Array.from({ length: 30 }, (_, i) => `outage-${i}`);
    for (const n of names) await createCluster(n, {});
    expect(
      await eventually(
        async () => (await Promise.all(names.map((n) => configMapData(n)))).every((d) => d !== ''),
        60_000,
      ),
    ).to.equal(true);
    const logFrom = op.logs.length;
    // Changes land while etcd is down: they cannot, so make them right after it is back.
    await env.killEtcd({ downMs: 20_000 });
    const back = performance.now();
    await Promise.all(
      names.map((n) =>
        eventually(async () => {
          try {
            await patchSpec(n, { gossip: { gossipFanout: 6 } });
            return true;
          } catch {
            return false;
          }
        }, 20_000),
      ),
    );
    const allDone = await eventually(
      async () =>
        (await Promise.all(names.map((n) => configMapData(n)))).every((d) => d.includes('gossipFanout: 6')),
      30_000,
    );
    const seconds = (performance.now() - back) / 1000;
    const kindErrors = op.logs
      .slice(logFrom)
      .filter((l) => JSON.stringify(l).includes('Required spec property'));
    expect(kindErrors, JSON.stringify(kindErrors.slice(0, 3))).to.deep.equal([]);
    expect(allDone).to.equal(true);
    console.log(`      all 30 clusters reconciled ${seconds.toFixed(1)} s after etcd was back`);
    // Per-key backoff grown during the outage must not hold healthy keys out: well under a minute.
    expect(seconds).to.be.below(20);
  });

  it('the CRD deleted while running: not ready (503 naming it), never dead; ready again once it is back', async () => {
    const crds = env.adminConfig.makeApiClient(ApiextensionsV1Api);
    await crds.deleteCustomResourceDefinition({ name: `${PLURAL}.${GROUP}` });
    const notReady = await eventually(async () => {
      const r = await fetch(`${op.url}/readyz`);
      return r.status === 503 && /gossipclusters.*404/.test(await r.text());
    }, 30_000);
    expect(notReady).to.equal(true);
    // Well past --informer-stuck-after-ms (2 s): before, /healthz turned 503 here (after 2 min by default).
    await sleep(6_000);
    const health = await fetch(`${op.url}/healthz`);
    expect(health.status, await health.text()).to.equal(200);
    expect(op.proc.exitCode).to.equal(null);
    await installGossipClusterCrd(env);
    expect(await eventually(async () => (await fetch(`${op.url}/readyz`)).status === 200, 60_000)).to.equal(
      true,
    );
    await createCluster('after-crd', {});
    expect(await eventually(async () => (await configMapData('after-crd')) !== '', 30_000)).to.equal(true);
  });

  it('started before the CRD exists: not ready, then ready and working once it is applied', async () => {
    await op.stop('SIGKILL');
    const crds = env.adminConfig.makeApiClient(ApiextensionsV1Api);
    await crds.deleteCustomResourceDefinition({ name: `${PLURAL}.${GROUP}` });
    await eventually(
      async () => (await kubeRaw(env, 'GET', `/apis/${GROUP}/${VERSION}/${PLURAL}`)).status === 404,
      20_000,
    );
    op = await startOperator(OPERATOR_USER);
    await sleep(3_000);
    const r = await fetch(`${op.url}/readyz`);
    expect(r.status).to.equal(503);
    expect((await fetch(`${op.url}/healthz`)).status).to.equal(200);
    await installGossipClusterCrd(env);
    expect(await eventually(async () => (await fetch(`${op.url}/readyz`)).status === 200, 60_000)).to.equal(
      true,
    );
    await createCluster('late', {});
    expect(await eventually(async () => (await configMapData('late')) !== '', 30_000)).to.equal(true);
  });

  it('namespaced mode: Roles only in the watched namespaces, none elsewhere; clusters outside are left alone', async () => {
    await op.stop('SIGKILL');
    for (const o of operatorRbac({
      subject: { kind: 'User', name: NS_OPERATOR_USER },
      operatorNamespace: 'gv-a',
      watchNamespaces: ['gv-a', 'gv-b'],
    })) {
      expect(['Role', 'RoleBinding']).to.include(o.kind);
      await objects.create(o as KubernetesObject);
    }
    const nsOp = await startOperator(NS_OPERATOR_USER, ['--namespace', 'gv-a,gv-b']);
    expect(await eventually(async () => (await fetch(`${nsOp.url}/readyz`)).status === 200, 30_000)).to.equal(
      true,
    );
    for (const ns of ['gv-a', 'gv-b', 'gv-c']) await createCluster('scoped', {}, ns);
    for (const ns of ['gv-a', 'gv-b'])
      expect(await eventually(async () => (await configMapData('scoped', ns)) !== '', 30_000), ns).to.equal(
        true,
      );
    await sleep(2_000);
    expect(await configMapData('scoped', 'gv-c')).to.equal('');
    const forbidden = nsOp.logs.filter((l) => /forbidden/i.test(JSON.stringify(l)));
    expect(forbidden, JSON.stringify(forbidden.slice(0, 2))).to.deep.equal([]);
  });
});
