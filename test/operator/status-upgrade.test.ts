// Issue 9: status written by an older operator (a JSON merge patch, under another field manager)
// must not stay forever. Server-side apply removes only fields no other manager owns, so the current
// status writer removes what its apply left behind with a JSON patch (stale-status.ts). Real
// kube-apiserver v1.31, the writer under the operator's own RBAC (rbac.ts), no operator process: the
// writer is what is tested.
import {
  CustomObjectsApi,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { expect } from 'chai';
import type { GossipCluster, GossipClusterStatus } from '../../src/operator/api/gossipcluster-schema.js';
import { GROUP, PLURAL, VERSION } from '../../src/operator/api/gossipcluster-schema.js';
import { operatorRbac } from '../../src/operator/rbac.js';
import { StatusWriter } from '../../src/operator/status/status-writer.js';
import { type KubeEnv, startKubeEnv } from '../support/kube-env.js';
import { skipWithoutKubeBinaries } from '../support/kube-env-skip.js';
import { gossipClusterApi, installGossipClusterCrd } from '../support/operator-test-apis.js';

const NS = 'gv-upgrade';
const OPERATOR_USER = 'grapevine-operator';
const T0 = '2026-11-01T00:00:00Z';

const condition = (type: string, status: 'True' | 'False') => ({
  type,
  status,
  reason: status === 'True' ? 'AsBefore' : 'NotBefore',
  message: `${type} as an older operator wrote it`,
  lastTransitionTime: T0,
});

/**
 * What the current operator computes for a cluster without agents: no Available condition, no members.
 * readyAgents has the old value: both managers own it (a shared field, as after an upgrade).
 */
const CURRENT: GossipClusterStatus = {
  observedGeneration: 1,
  conditions: ['Ready', 'Converged', 'Progressing', 'Degraded'].map((type) => ({
    ...condition(type, 'False'),
    observedGeneration: 1,
  })),
  desiredAgents: 0,
  readyAgents: 3,
};

describe('status written by an older operator (merge patch, another field manager) is cleaned up', function () {
  this.timeout(120_000);
  let env: KubeEnv;
  let admin: CustomObjectsApi;
  let writer: StatusWriter;
  let writes = 0;
  let gc: ReturnType<typeof gossipClusterApi>;

  /** As the operator before server-side apply wrote status: a JSON merge patch on /status. */
  const oldStyleWrite = (name: string, status: Record<string, unknown>, fieldManager?: string) =>
    admin.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        namespace: NS,
        plural: PLURAL,
        name,
        body: { status },
        ...(fieldManager ? { fieldManager } : {}),
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

  before(async function () {
    skipWithoutKubeBinaries(this, ['etcd', 'kubeApiserver']);
    env = await startKubeEnv({ controllerManager: false, users: [{ name: OPERATOR_USER }] });
    admin = env.adminConfig.makeApiClient(CustomObjectsApi);
    gc = gossipClusterApi(admin, NS);
    await installGossipClusterCrd(env);
    const objects = KubernetesObjectApi.makeApiClient(env.adminConfig);
    await objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    for (const o of operatorRbac({
      subject: { kind: 'User', name: OPERATOR_USER },
      operatorNamespace: NS,
      watchNamespaces: [],
    }))
      await objects.create(o as KubernetesObject);
    const kc = new KubeConfig();
    kc.loadFromFile(env.kubeconfigFile(env.userToken(OPERATOR_USER)));
    writer = new StatusWriter(kc.makeApiClient(CustomObjectsApi), () => writes++);
  });

  after(async () => {
    await env?.stop();
  });

  for (const [what, manager] of [
    ['no field manager given (the apiserver names it after the client)', undefined],
    ['the old operator’s field manager', 'grapevine-operator'],
  ] as const) {
    it(`${what}: stale fields disappear at the first write, and later removals work`, async () => {
      const name = manager ? 'named' : 'unnamed';
      await gc.create(name, {});
      await oldStyleWrite(
        name,
        {
          observedGeneration: 1,
          conditions: [condition('Ready', 'True'), condition('Available', 'True')],
          desiredAgents: 3,
          readyAgents: 3,
          members: { alive: 3, suspect: 0, dead: 0, left: 0 },
          agentsReached: 3,
        },
        manager,
      );
      const before = await gc.get(name);
      expect(before.status?.conditions?.map((c) => c.type)).to.deep.equal(['Ready', 'Available']);

      await writer.write(before, CURRENT);
      const after = await gc.get(name);
      // Before the fix: Available, members and agentsReached stayed, owned by the old manager.
      expect(after.status?.conditions?.map((c) => c.type).sort()).to.deep.equal([
        'Converged',
        'Degraded',
        'Progressing',
        'Ready',
      ]);
      expect(after.status).to.not.have.any.keys('members', 'agentsReached');
      expect(after.status?.desiredAgents).to.equal(0);
      // The old manager still co-owns fields (readyAgents: both wrote 3). Dropping one later removes
      // it too: the apply leaves it (owned by the other manager), the JSON patch removes it.
      expect(
        (after.metadata.managedFields ?? []).some(
          (m) => m.subresource === 'status' && m.operation === 'Update',
        ),
        'the old manager still owns some status fields',
      ).to.equal(true);
      const w0 = writes;
      const { desiredAgents: _d, readyAgents: _r, ...withoutCounts } = CURRENT;
      await writer.write(after, withoutCounts);
      expect(writes - w0).to.equal(2);
      expect((await gc.get(name)).status).to.not.have.any.keys('desiredAgents', 'readyAgents');
      // Nothing left behind: the next write is a single apply.
      await writer.write(await gc.get(name), withoutCounts);
      expect(writes - w0).to.equal(3);
    });
  }

  it('a status written only by the current writer costs one request per write', async () => {
    await gc.create('fresh', {});
    const w0 = writes;
    const fresh: GossipCluster = await gc.get('fresh');
    await writer.write(fresh, CURRENT);
    await writer.write(await gc.get('fresh'), { ...CURRENT, desiredAgents: 1 });
    expect(writes - w0).to.equal(2);
    expect((await gc.get('fresh')).status?.desiredAgents).to.equal(1);
  });
});
