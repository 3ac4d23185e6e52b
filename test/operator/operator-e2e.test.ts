// The operator end to end on a real kube-apiserver v1.31 + etcd + kube-controller-manager (garbage
// collector only). The operator runs as a real `grapevine operator` process authenticated as its own
// user, bound only to the ClusterRole from src/operator/rbac.ts (not system:masters).
// There is no kubelet and no DaemonSet controller: where a test needs agents "on nodes", it plays
// both itself — it creates the pods, starts a real `grapevine agent` process per pod on its own
// loopback address, and writes the pod and DaemonSet status the kubelet and controller would write.
import { readdirSync, readFileSync } from 'node:fs';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { gossipClusterCrd } from '../../src/operator/api/crd.js';
import { GROUP, PLURAL, VERSION } from '../../src/operator/api/gossipcluster-schema.js';
import { AgentProcess } from '../support/agent-process.js';
import { type KubeEnv, startKubeEnv } from '../support/kube-env.js';
import { skipWithoutKubeBinaries } from '../support/kube-env-skip.js';
import { putCrd } from '../support/kube-raw.js';
import {
  exists,
  gossipClusterApi,
  installGossipClusterCrd,
  installOperatorApis,
} from '../support/operator-test-apis.js';
import { eventually } from '../support/process-cluster.js';

const NS = 'gv-e2e';
const OPERATOR_USER = 'grapevine-operator';
const LEASE = ['--lease-duration-ms', '3000', '--renew-deadline-ms', '2000', '--retry-period-ms', '500'];

describe('operator on a real kube-apiserver (v1.31, etcd, garbage collector)', function () {
  this.timeout(180_000);
  let env: KubeEnv;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let custom: CustomObjectsApi;
  let objects: KubernetesObjectApi;
  let kubeconfig: string;
  const procs: AgentProcess[] = [];

  const startOperator = async (identity: string) => {
    const op = AgentProcess.spawnCommand('operator', [
      '--kubeconfig',
      kubeconfig,
      '--http',
      '127.0.0.1:0',
      '--identity',
      identity,
      '--leader-election-namespace',
      NS,
      '--status-interval-ms',
      '1000',
      '--log-level',
      'info',
      ...LEASE,
    ]);
    procs.push(op);
    const started = await op.waitForLog((l) => l.msg === 'operator started', 30_000);
    op.url = String(started.url);
    return op;
  };
  const isLeader = async (op: AgentProcess) => {
    const text = await (await fetch(`${op.url}/metrics`)).text();
    return /^grapevine_operator_leader 1$/m.test(text);
  };
  let gc: ReturnType<typeof gossipClusterApi>;
  const getCluster = (name: string) => gc.get(name);
  const createCluster = (name: string, spec: Record<string, unknown>) => gc.create(name, spec);
  const patchSpec = (name: string, spec: Record<string, unknown>) => gc.patchSpec(name, spec);
  const configMap = (name: string) => core.readNamespacedConfigMap({ name: `${name}-agent`, namespace: NS });
  const daemonSet = (name: string) => apps.readNamespacedDaemonSet({ name: `${name}-agent`, namespace: NS });

  before(async function () {
    skipWithoutKubeBinaries(this);
    env = await startKubeEnv({ users: [{ name: OPERATOR_USER }] });
    const admin = env.adminConfig;
    core = admin.makeApiClient(CoreV1Api);
    apps = admin.makeApiClient(AppsV1Api);
    custom = admin.makeApiClient(CustomObjectsApi);
    objects = KubernetesObjectApi.makeApiClient(admin);
    gc = gossipClusterApi(custom, NS);
    // Cluster-wide mode: the ClusterRole for the watched kinds, a Role in NS for the Lease.
    await installOperatorApis(env, { namespace: NS, operatorUser: OPERATOR_USER });
    kubeconfig = env.kubeconfigFile(env.userToken(OPERATOR_USER));
    await startOperator('op-1');
  });

  after(async () => {
    for (const p of procs) await p.stop('SIGKILL');
    await env?.stop();
  });

  it('runs under least privilege: its user cannot list Secrets (only get by name, for the agents’ API token)', async () => {
    const asOperator = env.configFor(env.userToken(OPERATOR_USER)).makeApiClient(CoreV1Api);
    let code = 0;
    try {
      await asOperator.listNamespacedSecret({ namespace: NS });
    } catch (err) {
      code = (err as { code: number }).code;
    }
    expect(code).to.equal(403);
  });

  it('create: the owned objects appear, owned by the GossipCluster', async () => {
    await createCluster('alpha', { gossip: { probeIntervalMs: 1000 } });
    const cr = await getCluster('alpha');
    expect(await eventually(() => exists(() => daemonSet('alpha')), 20_000)).to.equal(true);
    const owned = [
      await configMap('alpha'),
      await daemonSet('alpha'),
      await core.readNamespacedService({ name: 'alpha-agent', namespace: NS }),
      await core.readNamespacedServiceAccount({ name: 'alpha-agent', namespace: NS }),
    ];
    for (const o of owned) {
      const ref = o.metadata?.ownerReferences?.[0];
      expect(ref, `${o.kind} ${o.metadata?.name}`).to.include({
        uid: cr.metadata.uid,
        kind: 'GossipCluster',
        controller: true,
      });
    }
    const events = await core.listNamespacedEvent({ namespace: NS });
    expect(events.items.some((e) => e.involvedObject.name === 'alpha' && e.reason === 'Created')).to.equal(
      true,
    );
    expect(
      await eventually(
        async () => (await getCluster('alpha')).status?.observedGeneration === cr.metadata.generation,
        15_000,
      ),
    ).to.equal(true);
  });

  it('spec change: a tunable updates the ConfigMap only; a port change rolls the pods (config hash)', async () => {
    const hashOf = async () =>
      (await daemonSet('alpha')).spec?.template.metadata?.annotations?.['grapevine.dev/config-hash'];
    const before = await hashOf();
    await patchSpec('alpha', { gossip: { probeIntervalMs: 2000 } });
    expect(
      await eventually(
        async () =>
          (await configMap('alpha')).data?.['agent.yaml']?.includes('probeIntervalMs: 2000') ?? false,
        15_000,
      ),
    ).to.equal(true);
    expect(await hashOf()).to.equal(before);
    await patchSpec('alpha', { ports: { gossip: 8946 } });
    expect(await eventually(async () => (await hashOf()) !== before, 15_000)).to.equal(true);
    const cr = await getCluster('alpha');
    expect(
      await eventually(
        async () => (await getCluster('alpha')).status?.observedGeneration === cr.metadata.generation,
        15_000,
      ),
    ).to.equal(true);
  });

  it('status follows the agents: pods with real agents, DaemonSet status → Ready, members, converged', async () => {
    await createCluster('beta', { ports: { gossip: 7946, http: 7947 } });
    expect(await eventually(() => exists(() => daemonSet('beta')), 20_000)).to.equal(true);
    const ds = await daemonSet('beta');
    const labels = ds.spec?.template.metadata?.labels ?? {};
    // Play the DaemonSet controller and the kubelet: three pods, each a real agent on its own IP.
    // Fixed ports (the pods' spec), so a random loopback block: other test runs on this machine may
    // hold 127.0.10.x:7946 (one left over from another suite did).
    const block = `127.${200 + Math.floor(Math.random() * 50)}.${1 + Math.floor(Math.random() * 250)}`;
    const ips = [1, 2, 3].map((i) => `${block}.${i}`);
    for (const [i, ip] of ips.entries()) {
      const name = `beta-agent-${i}`;
      await core.createNamespacedPod({
        namespace: NS,
        body: {
          metadata: { name, labels },
          spec: { nodeName: `node-${i}`, containers: [{ name: 'agent', image: 'grapevine' }] },
        },
      });
      const agent = await AgentProcess.start([
        '--name',
        `node-${i}`,
        '--bind',
        `${ip}:7946`,
        '--http',
        `${ip}:7947`,
        '--probe-interval-ms',
        '300',
        '--probe-timeout-ms',
        '150',
        ...(i > 0 ? ['--join', `${ips[0]}:7946`] : []),
      ]);
      procs.push(agent);
      await core.patchNamespacedPodStatus(
        {
          name,
          namespace: NS,
          body: {
            status: {
              phase: 'Running',
              podIP: ip,
              podIPs: [{ ip }],
              conditions: [{ type: 'Ready', status: 'True' }],
            },
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
    const fresh = await daemonSet('beta');
    await apps.patchNamespacedDaemonSetStatus(
      {
        name: 'beta-agent',
        namespace: NS,
        body: {
          status: {
            observedGeneration: fresh.metadata?.generation,
            desiredNumberScheduled: 3,
            currentNumberScheduled: 3,
            numberReady: 3,
            updatedNumberScheduled: 3,
            numberAvailable: 3,
            numberMisscheduled: 0,
          },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    // Status is eventually consistent: rounds are at most one per second here (--status-interval-ms).
    const ready = await eventually(async () => {
      const s = (await getCluster('beta')).status;
      const isReady = s?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
      return isReady && s?.agentsReached === 3;
    }, 30_000);
    const status = (await getCluster('beta')).status!;
    expect(ready, JSON.stringify(status.conditions)).to.equal(true);
    expect(status).to.include({ desiredAgents: 3, readyAgents: 3, converged: true, agentsReached: 3 });
    expect(status.members).to.deep.include({ alive: 3, suspect: 0, dead: 0 });
    expect(status.lastConvergenceTime).to.be.a('string');
  });

  it('idle: status rounds (every second here) run outside reconciles and make no API writes', async () => {
    const writes = async () => {
      const text = await (await fetch(`${procs[0]!.url}/metrics`)).text();
      return [...text.matchAll(/^grapevine_operator_api_writes_total\{[^}]*\} (\d+)$/gm)].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
    };
    const reconciles = async () => {
      const text = await (await fetch(`${procs[0]!.url}/metrics`)).text();
      return [...text.matchAll(/^grapevine_operator_reconciles_total\{[^}]*\} (\d+)$/gm)].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
    };
    const agentRequests = async () => {
      const text = await (await fetch(`${procs[0]!.url}/metrics`)).text();
      return Number(/^grapevine_operator_agent_requests_total (\d+)$/m.exec(text)?.[1] ?? 0);
    };
    await new Promise((r) => setTimeout(r, 2_000));
    const [w0, r0, a0] = [await writes(), await reconciles(), await agentRequests()];
    await new Promise((r) => setTimeout(r, 5_000));
    // Issue 9: the agents are asked by the collector's own loop (3 agents, ~1 round/s), not by
    // reconciles.
    expect((await agentRequests()) - a0, 'no status round ran').to.be.at.least(9);
    // The only reconciles are the periodic recheck of what no informer watches (the Secrets the
    // agents mount), one per cluster per --status-interval-ms (1 s here): not a storm, and none of
    // them writes.
    const list = (await custom.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NS,
      plural: PLURAL,
    })) as { items: unknown[] };
    expect((await reconciles()) - r0).to.be.at.most(list.items.length * 7);
    expect((await writes()) - w0).to.equal(0);
  });

  it('a ServiceMonitor is created when enabled and its CRD exists, and removed when disabled', async () => {
    const read = () =>
      custom.getNamespacedCustomObject({
        group: 'monitoring.coreos.com',
        version: 'v1',
        namespace: NS,
        plural: 'servicemonitors',
        name: 'alpha-agent',
      });
    await patchSpec('alpha', { metrics: { serviceMonitor: { enabled: true, labels: { release: 'prom' } } } });
    expect(await eventually(() => exists(read), 20_000)).to.equal(true);
    const sm = (await read()) as {
      metadata: { labels: Record<string, string>; ownerReferences: Array<{ kind: string }> };
    };
    expect(sm.metadata.labels.release).to.equal('prom');
    expect(sm.metadata.ownerReferences[0]?.kind).to.equal('GossipCluster');
    await patchSpec('alpha', { metrics: { serviceMonitor: { enabled: false } } });
    expect(await eventually(async () => !(await exists(read)), 20_000)).to.equal(true);
  });

  it('drift of an owned object is reverted', async () => {
    await apps.patchNamespacedDaemonSet(
      {
        name: 'alpha-agent',
        namespace: NS,
        body: { spec: { template: { spec: { containers: [{ name: 'agent', image: 'evil:1' }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    await core.patchNamespacedConfigMap(
      { name: 'alpha-agent', namespace: NS, body: { data: { 'agent.yaml': 'tampered: true\n' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const reverted = await eventually(async () => {
      const image = (await daemonSet('alpha')).spec?.template.spec?.containers[0]?.image;
      const data = (await configMap('alpha')).data?.['agent.yaml'] ?? '';
      return image !== 'evil:1' && !data.includes('tampered');
    }, 30_000);
    expect(reverted).to.equal(true);
  });

  it('an invalid spec: refused by the CRD (CEL); stored anyway (older CRD) → Degraded, an Event, nothing applied', async () => {
    let message = '';
    try {
      await createCluster('gamma', { gossip: { probeIntervalMs: 500, probeTimeoutMs: 800 } });
    } catch (err) {
      message = String((err as { body?: string }).body ?? err);
    }
    expect(message).to.match(/probeTimeoutMs must be less than probeIntervalMs/);
    // An object stored before the rule existed: drop the CEL rules for a moment, as an older CRD would.
    const withoutRules = JSON.parse(JSON.stringify(gossipClusterCrd()), (k, v) =>
      k === 'x-kubernetes-validations' ? undefined : v,
    );
    await putCrd(env, withoutRules);
    await eventually(async () => {
      try {
        await createCluster('gamma', { gossip: { probeIntervalMs: 500, probeTimeoutMs: 800 } });
        return true;
      } catch {
        return false;
      }
    }, 15_000);
    const degraded = await eventually(async () => {
      const s = (await getCluster('gamma')).status;
      return (
        s?.conditions?.some(
          (c) => c.type === 'Degraded' && c.status === 'True' && c.reason === 'InvalidSpec',
        ) === true
      );
    }, 20_000);
    expect(degraded).to.equal(true);
    const cond = (await getCluster('gamma')).status!.conditions!.find((c) => c.type === 'Degraded')!;
    expect(cond.message).to.match(/probeTimeoutMs/);
    expect(await exists(() => configMap('gamma'))).to.equal(false);
    const events = await core.listNamespacedEvent({ namespace: NS });
    expect(
      events.items.some(
        (e) => e.involvedObject.name === 'gamma' && e.reason === 'InvalidSpec' && e.type === 'Warning',
      ),
    ).to.equal(true);
    await installGossipClusterCrd(env);
  });

  it('delete: the garbage collector removes the owned objects through their owner references', async () => {
    await gc.delete('alpha');
    const gone = await eventually(
      async () => !(await exists(() => configMap('alpha'))) && !(await exists(() => daemonSet('alpha'))),
      60_000,
    );
    expect(gone).to.equal(true);
  });

  it('apiserver restarted mid-test: the operator recovers and reconciles what changed meanwhile', async () => {
    const restarts = async () => {
      const text = await (await fetch(`${procs[0]!.url}/metrics`)).text();
      return [...text.matchAll(/^grapevine_operator_informer_restarts_total\{[^}]*\} (\d+)$/gm)].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
    };
    const before = await restarts();
    await env.restartApiserver();
    // Created as soon as the apiserver answers, while the operator's watches are still reconnecting.
    await createCluster('delta', {});
    expect(await eventually(() => exists(() => daemonSet('delta')), 60_000)).to.equal(true);
    await patchSpec('delta', { gossip: { gossipFanout: 5 } });
    expect(
      await eventually(
        async () => (await configMap('delta')).data?.['agent.yaml']?.includes('gossipFanout: 5') ?? false,
        30_000,
      ),
    ).to.equal(true);
    expect(await restarts(), 'the operator never noticed the apiserver went away').to.be.greaterThan(before);
  });

  it('every example manifest is accepted by the apiserver and reconciled', async () => {
    const dir = new URL('../../examples/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.startsWith('gossipcluster-') && f.endsWith('.yaml'));
    expect(files.length).to.be.at.least(3);
    for (const f of files) {
      for (const doc of parseAllDocuments(readFileSync(new URL(f, dir), 'utf8'))) {
        const obj = doc.toJS() as KubernetesObject;
        if (!obj) continue;
        obj.metadata = { ...obj.metadata, namespace: NS };
        await objects.create(obj);
        if (obj.kind === 'GossipCluster') {
          expect(await eventually(() => exists(() => daemonSet(obj.metadata!.name!)), 30_000), f).to.equal(
            true,
          );
        }
      }
    }
  });

  it('two replicas: exactly one leads; when the leader is killed the other takes over', async () => {
    const op1 = procs[0]!;
    const op2 = await startOperator('op-2');
    await new Promise((r) => setTimeout(r, 2_000));
    const leaders = [await isLeader(op1), await isLeader(op2)];
    expect(leaders.filter(Boolean)).to.have.length(1);
    const [leader, follower] = leaders[0] ? [op1, op2] : [op2, op1];
    await leader.stop('SIGKILL');
    expect(await eventually(() => isLeader(follower), 15_000)).to.equal(true);
    // The new leader reconciles: a new cluster gets its objects.
    await createCluster('epsilon', {});
    expect(await eventually(() => exists(() => daemonSet('epsilon')), 30_000)).to.equal(true);
  });
});
