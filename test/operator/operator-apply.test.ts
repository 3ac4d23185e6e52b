// Issue 9 (what gets applied) and issue 8 finding 7 (operator side), end to end: a real
// kube-apiserver v1.31 + etcd + the garbage collector, and the operator as a real `grapevine
// operator` process authenticated as its own user, bound only to the ClusterRole from rbac.ts.
// Nothing runs pods here: these tests are about the objects the operator writes (and refuses to).
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubernetesObject,
  NetworkingV1Api,
  type V1DaemonSet,
} from '@kubernetes/client-node';
import { expect } from 'chai';
import { AgentProcess } from '../support/agent-process.js';
import { type KubeEnv, startKubeEnv } from '../support/kube-env.js';
import { skipWithoutKubeBinaries } from '../support/kube-env-skip.js';
import { gossipClusterApi, installOperatorApis } from '../support/operator-test-apis.js';
import { eventually } from '../support/process-cluster.js';

const NS = 'gv-apply';
const OPERATOR_USER = 'grapevine-operator';
const KEY = Buffer.alloc(32, 7).toString('base64');

describe('operator: what gets applied (real kube-apiserver v1.31, operator under its own RBAC)', function () {
  this.timeout(240_000);
  let env: KubeEnv;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let custom: CustomObjectsApi;
  let net: NetworkingV1Api;
  let operator: AgentProcess;

  let gc: ReturnType<typeof gossipClusterApi>;
  const cluster = (name: string) => gc.get(name);
  const createCluster = (name: string, spec: Record<string, unknown>) => gc.create(name, spec);
  const deleteCluster = (name: string) => gc.delete(name);
  /** `kubectl patch gc <name> --type=json -p '[{"op":"remove","path":"<path>"}, …also]'` */
  const removeField = (name: string, path: string, also: object[] = []) =>
    gc.jsonPatch(name, [{ op: 'remove', path }, ...also]);
  const mergeSpec = (name: string, spec: Record<string, unknown>) => gc.patchSpec(name, spec);
  const daemonSet = (name: string) => apps.readNamespacedDaemonSet({ name: `${name}-agent`, namespace: NS });
  const maybe = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  };
  /** The object once it exists (fails the test if it never does). */
  const waitFor = async <T>(read: () => Promise<T>): Promise<T> => {
    expect(
      await eventually(async () => (await maybe(read)) !== undefined, 20_000),
      'never appeared',
    ).to.equal(true);
    return read();
  };
  const degraded = async (name: string) =>
    (await cluster(name)).status?.conditions?.find((c) => c.type === 'Degraded');
  const eventsFor = async (name: string) =>
    (await core.listNamespacedEvent({ namespace: NS })).items.filter((e) => e.involvedObject.name === name);
  const metricSum = async (metric: string) => {
    const text = await (await fetch(`${operator.url}/metrics`)).text();
    return [...text.matchAll(new RegExp(`^${metric}\\{[^}]*\\} (\\d+)$`, 'gm'))].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
  };
  const waitDegraded = async (name: string, reason: string) => {
    const ok = await eventually(async () => {
      const c = await degraded(name);
      return c?.status === 'True' && c.reason === reason;
    }, 20_000);
    expect(ok, `${name}: Degraded/${reason}; got ${JSON.stringify(await degraded(name))}`).to.equal(true);
    return (await degraded(name))!;
  };

  before(async function () {
    skipWithoutKubeBinaries(this);
    env = await startKubeEnv({ users: [{ name: OPERATOR_USER }] });
    const admin = env.adminConfig;
    core = admin.makeApiClient(CoreV1Api);
    apps = admin.makeApiClient(AppsV1Api);
    custom = admin.makeApiClient(CustomObjectsApi);
    net = admin.makeApiClient(NetworkingV1Api);
    gc = gossipClusterApi(custom, NS);
    await installOperatorApis(env, { namespace: NS, operatorUser: OPERATOR_USER });
    operator = AgentProcess.spawnCommand('operator', [
      '--kubeconfig',
      env.kubeconfigFile(env.userToken(OPERATOR_USER)),
      '--http',
      '127.0.0.1:0',
      '--no-leader-elect',
      '--status-interval-ms',
      '1000',
      '--cluster-domain',
      'corp.example',
    ]);
    const started = await operator.waitForLog((l) => l.msg === 'operator started', 30_000);
    operator.url = String(started.url);
  });

  after(async () => {
    await operator?.stop('SIGKILL');
    await env?.stop();
  });

  describe('removing an optional field reaches the owned object (server-side apply owns removals)', () => {
    const pod = (ds: V1DaemonSet | undefined) => ds?.spec?.template.spec;
    const cases: ReadonlyArray<{
      field: string;
      /** More JSON patch operations in the same patch (when the removal alone would be invalid). */
      also?: object[];
      gone: (ds: V1DaemonSet) => boolean;
    }> = [
      { field: 'nodeSelector', gone: (ds) => pod(ds)?.nodeSelector === undefined },
      { field: 'tolerations', gone: (ds) => pod(ds)?.tolerations === undefined },
      { field: 'resources', gone: (ds) => Object.keys(pod(ds)?.containers[0]?.resources ?? {}).length === 0 },
      { field: 'priorityClassName', gone: (ds) => pod(ds)?.priorityClassName === undefined },
      { field: 'affinity', gone: (ds) => pod(ds)?.affinity === undefined },
      // The apiserver defaults maxSurge to 0 once nobody sets it. maxUnavailable: 0 is valid only with
      // a surge (CEL, as the DaemonSet API), so the same patch sets it to 3.
      {
        field: 'updateStrategy/maxSurge',
        also: [{ op: 'replace', path: '/spec/updateStrategy/maxUnavailable', value: 3 }],
        gone: (ds) =>
          String(ds.spec?.updateStrategy?.rollingUpdate?.maxSurge) === '0' &&
          String(ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable) === '3',
      },
      // …and maxUnavailable to 1.
      {
        field: 'updateStrategy/maxUnavailable',
        gone: (ds) => String(ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable) === '1',
      },
    ];

    before(async () => {
      await createCluster('rm', {
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gossip', effect: 'NoSchedule' }],
        resources: { limits: { cpu: '200m', memory: '64Mi' } },
        priorityClassName: 'gossip-critical',
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'role', operator: 'Exists' }] }],
            },
          },
        },
        updateStrategy: { maxUnavailable: 0, maxSurge: 2 },
        metrics: { serviceMonitor: { enabled: true, labels: { release: 'prom', team: 'net' } } },
      });
      const ds = await waitFor(() => daemonSet('rm'));
      expect(pod(ds)?.nodeSelector).to.deep.equal({ 'kubernetes.io/os': 'linux' });
      expect(String(ds?.spec?.updateStrategy?.rollingUpdate?.maxUnavailable)).to.equal('0');
      expect(String(ds?.spec?.updateStrategy?.rollingUpdate?.maxSurge)).to.equal('2');
    });

    for (const c of cases) {
      it(`remove /spec/${c.field}`, async () => {
        expect(c.gone(await daemonSet('rm')), 'set before the removal').to.equal(false);
        await removeField('rm', `/spec/${c.field}`, c.also);
        expect(await eventually(async () => c.gone(await daemonSet('rm')), 15_000)).to.equal(true);
      });
    }

    it('remove a ServiceMonitor label', async () => {
      const labels = async () =>
        (
          (await custom.getNamespacedCustomObject({
            group: 'monitoring.coreos.com',
            version: 'v1',
            namespace: NS,
            plural: 'servicemonitors',
            name: 'rm-agent',
          })) as KubernetesObject
        ).metadata?.labels ?? {};
      // The operator learns that the ServiceMonitor API exists by listing it every 15 s (it reads no
      // CRD), so the ServiceMonitor may take that long to appear.
      expect(
        await eventually(async () => (await maybe(labels))?.team === 'net', 30_000),
        'the ServiceMonitor never appeared with its label',
      ).to.equal(true);
      await removeField('rm', '/spec/metrics/serviceMonitor/labels/team');
      expect(await eventually(async () => (await labels()).team === undefined, 15_000)).to.equal(true);
      expect(await labels()).to.include({
        release: 'prom',
        'app.kubernetes.io/managed-by': 'grapevine-operator',
      });
    });

    it('idle afterwards: reconciles (every second) make no API writes', async () => {
      await new Promise((r) => setTimeout(r, 2_000));
      const [w0, r0] = [
        await metricSum('grapevine_operator_api_writes_total'),
        await metricSum('grapevine_operator_reconciles_total'),
      ];
      await new Promise((r) => setTimeout(r, 5_000));
      expect(
        (await metricSum('grapevine_operator_reconciles_total')) - r0,
        'no reconcile ran',
      ).to.be.at.least(3);
      expect((await metricSum('grapevine_operator_api_writes_total')) - w0).to.equal(0);
    });
  });

  describe('never adopt an object the operator did not create', () => {
    it('a user ConfigMap <name>-agent: Degraded naming it, one Event, nothing applied; it survives the GossipCluster', async () => {
      await core.createNamespacedConfigMap({
        namespace: NS,
        body: { metadata: { name: 'mine-agent' }, data: { user: 'keep me' } },
      });
      await createCluster('mine', {});
      const cond = await waitDegraded('mine', 'ObjectNotOwned');
      expect(cond.message).to.include(`ConfigMap ${NS}/mine-agent`);
      // Several reconciles later: still exactly one Event, and nothing else created.
      await new Promise((r) => setTimeout(r, 3_000));
      const events = await eventsFor('mine');
      const refusals = events.filter((e) => e.reason === 'ObjectNotOwned');
      expect(refusals, JSON.stringify(events.map((e) => [e.reason, e.count]))).to.have.length(1);
      expect(refusals[0]!.count ?? 1).to.equal(1);
      expect(refusals[0]!.message).to.include('mine-agent');
      expect(events.some((e) => e.reason === 'Created')).to.equal(false);
      const cm = await core.readNamespacedConfigMap({ name: 'mine-agent', namespace: NS });
      expect(cm.data).to.deep.equal({ user: 'keep me' });
      expect(cm.metadata?.ownerReferences ?? []).to.deep.equal([]);
      expect(await maybe(() => daemonSet('mine'))).to.equal(undefined);
      expect(await maybe(() => core.readNamespacedService({ name: 'mine-agent', namespace: NS }))).to.equal(
        undefined,
      );
      await deleteCluster('mine');
      await new Promise((r) => setTimeout(r, 3_000));
      expect((await core.readNamespacedConfigMap({ name: 'mine-agent', namespace: NS })).data).to.deep.equal({
        user: 'keep me',
      });
    });

    it('a user ClusterIP Service: nothing half-applied; once it is gone the cluster is created', async () => {
      await core.createNamespacedService({
        namespace: NS,
        body: { metadata: { name: 'svc-agent' }, spec: { ports: [{ port: 80 }] } },
      });
      await createCluster('svc', {});
      const cond = await waitDegraded('svc', 'ObjectNotOwned');
      expect(cond.message).to.include(`Service ${NS}/svc-agent`);
      expect(await maybe(() => daemonSet('svc'))).to.equal(undefined);
      expect(await maybe(() => core.readNamespacedConfigMap({ name: 'svc-agent', namespace: NS }))).to.equal(
        undefined,
      );
      await core.deleteNamespacedService({ name: 'svc-agent', namespace: NS });
      expect(
        await eventually(async () => (await maybe(() => daemonSet('svc'))) !== undefined, 20_000),
      ).to.equal(true);
      const svc = await core.readNamespacedService({ name: 'svc-agent', namespace: NS });
      expect(svc.spec?.clusterIP).to.equal('None');
      expect(await eventually(async () => (await degraded('svc'))?.status === 'False', 15_000)).to.equal(
        true,
      );
    });
  });

  describe('the encryption Secret: missing, malformed, deleted → Degraded and an Event', () => {
    it('missing', async () => {
      await createCluster('nokeys', { encryption: { secretRef: { name: 'absent-keys' } } });
      const cond = await waitDegraded('nokeys', 'EncryptionSecretInvalid');
      expect(cond.message).to.match(/keyring Secret absent-keys does not exist/);
      expect(await maybe(() => daemonSet('nokeys'))).to.equal(undefined);
      expect((await eventsFor('nokeys')).some((e) => e.reason === 'EncryptionSecretInvalid')).to.equal(true);
    });

    it('malformed', async () => {
      await core.createNamespacedSecret({
        namespace: NS,
        body: { metadata: { name: 'bad-keys' }, stringData: { keyring: 'not a key\n' } },
      });
      await createCluster('badkeys', { encryption: { secretRef: { name: 'bad-keys' } } });
      const cond = await waitDegraded('badkeys', 'EncryptionSecretInvalid');
      expect(cond.message).to.match(/keyring Secret bad-keys is malformed: .*line 1/);
      expect((await eventsFor('badkeys')).some((e) => e.reason === 'EncryptionSecretInvalid')).to.equal(true);
    });

    it('deleted while the cluster runs', async () => {
      await core.createNamespacedSecret({
        namespace: NS,
        body: { metadata: { name: 'good-keys' }, stringData: { keyring: `${KEY}\n` } },
      });
      await createCluster('delkeys', { encryption: { secretRef: { name: 'good-keys' } } });
      expect(
        await eventually(async () => (await maybe(() => daemonSet('delkeys'))) !== undefined, 20_000),
      ).to.equal(true);
      expect(await eventually(async () => (await degraded('delkeys'))?.status === 'False', 15_000)).to.equal(
        true,
      );
      await core.deleteNamespacedSecret({ name: 'good-keys', namespace: NS });
      const cond = await waitDegraded('delkeys', 'EncryptionSecretInvalid');
      expect(cond.message).to.match(/good-keys does not exist/);
      expect((await eventsFor('delkeys')).some((e) => e.reason === 'EncryptionSecretInvalid')).to.equal(true);
      // What runs is left as it was.
      expect(await maybe(() => daemonSet('delkeys'))).to.not.equal(undefined);
    });
  });

  describe('issue 8: generated Secrets, API token, NetworkPolicy, cluster domain', () => {
    it('encryption: {} and no token Secret: the operator generates both, owned by the GossipCluster, and mounts them', async () => {
      await createCluster('gen', { encryption: {} });
      const ds = await waitFor(() => daemonSet('gen'));
      const cr = await cluster('gen');
      const keyring = await core.readNamespacedSecret({ name: 'gen-keyring', namespace: NS });
      const token = await core.readNamespacedSecret({ name: 'gen-api-token', namespace: NS });
      for (const s of [keyring, token])
        expect(s.metadata?.ownerReferences?.[0]).to.include({ uid: cr.metadata.uid, controller: true });
      expect(Buffer.from(keyring.data!.keyring!, 'base64').toString().trim()).to.match(
        /^[A-Za-z0-9+/]{43}=$/,
      );
      expect(Buffer.from(token.data!.token!, 'base64').toString()).to.have.length.at.least(32);
      const sources = ds.spec!.template.spec!.volumes![0]!.projected!.sources!;
      expect(sources.map((s) => s.secret?.name).filter(Boolean)).to.deep.equal([
        'gen-api-token',
        'gen-keyring',
      ]);
      const config = (await core.readNamespacedConfigMap({ name: 'gen-agent', namespace: NS })).data![
        'agent.yaml'
      ]!;
      expect(config).to.match(/apiTokenFile: \/etc\/grapevine\/api-token\/token/);
      expect(config).to.match(/keyringFile: \/etc\/grapevine\/keyring\/keyring/);
      expect(config).to.match(/joinDns: gen-agent\.gv-apply\.svc\.corp\.example/);
      // The token is stable: later reconciles never regenerate it.
      await new Promise((r) => setTimeout(r, 2_000));
      const again = await core.readNamespacedSecret({ name: 'gen-api-token', namespace: NS });
      expect(again.data).to.deep.equal(token.data);
    });

    it('a NetworkPolicy limits the gossip port to the same GossipCluster; opt-out deletes it', async () => {
      const np = await waitFor(() => net.readNamespacedNetworkPolicy({ name: 'gen-agent', namespace: NS }));
      const [gossip, http] = np.spec!.ingress!;
      expect(gossip!._from).to.deep.equal([
        {
          podSelector: {
            matchLabels: {
              'app.kubernetes.io/name': 'grapevine',
              'app.kubernetes.io/instance': 'gen',
              'app.kubernetes.io/component': 'agent',
            },
          },
        },
      ]);
      expect(gossip!.ports!.map((p) => `${p.protocol}/${p.port}`)).to.deep.equal(['UDP/7946', 'TCP/7946']);
      expect(http!.ports!.map((p) => `${p.protocol}/${p.port}`)).to.deep.equal(['TCP/7947']);
      await mergeSpec('gen', { networkPolicy: { enabled: false } });
      expect(
        await eventually(
          async () =>
            (await maybe(() => net.readNamespacedNetworkPolicy({ name: 'gen-agent', namespace: NS }))) ===
            undefined,
          15_000,
        ),
      ).to.equal(true);
    });

    it('a user token Secret that is missing → Degraded; created → applied', async () => {
      await createCluster('usertoken', { api: { tokenSecretRef: { name: 'my-token' } } });
      const cond = await waitDegraded('usertoken', 'ApiTokenSecretInvalid');
      expect(cond.message).to.match(/API token Secret my-token does not exist/);
      await core.createNamespacedSecret({
        namespace: NS,
        body: { metadata: { name: 'my-token' }, stringData: { token: 'a-long-enough-user-token' } },
      });
      expect(
        await eventually(async () => (await maybe(() => daemonSet('usertoken'))) !== undefined, 20_000),
      ).to.equal(true);
    });
  });
});
