// The test control plane itself: a real etcd + kube-apiserver + kube-controller-manager (garbage
// collector only). Operator tests build on it, so its promises (RBAC really enforced, data
// surviving an apiserver restart, ownerReference cascades really happening) are checked here.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException,
  CoreV1Api,
  RbacAuthorizationV1Api,
  type V1ConfigMap,
  VersionApi,
} from '@kubernetes/client-node';
import { expect } from 'chai';
import { type KubeEnv, startKubeEnv } from '../support/kube-env.js';
import { BUILD_HINT, findKubeBinaries, KUBE_VERSION } from '../support/kube-env-binaries.js';
import { skipWithoutKubeBinaries } from '../support/kube-env-skip.js';

/** The HTTP status a call ends with: 200 on success, the ApiException's code otherwise. */
async function statusOf(call: Promise<unknown>): Promise<number> {
  try {
    await call;
    return 200;
  } catch (err) {
    if (err instanceof ApiException) return err.code;
    throw err;
  }
}

async function eventually<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('kube-env: binary lookup (no control plane needed)', () => {
  let dir: string;
  const fakeBinary = (path: string): string => {
    writeFileSync(path, '#!/bin/sh\n');
    chmodSync(path, 0o755);
    return path;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kube-env-lookup-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reports every missing binary and says how to build them', () => {
    const r = findKubeBinaries(undefined, { GRAPEVINE_CACHE: join(dir, 'empty') });
    expect(r.ok).to.equal(false);
    if (r.ok) return;
    expect(r.missing).to.have.length(3);
    expect(r.message).to.contain(BUILD_HINT);
    expect(r.message).to.contain(join(dir, 'empty', 'testbin', KUBE_VERSION));
  });

  it('prefers TEST_ASSET_<NAME>, then KUBEBUILDER_ASSETS, then the build cache', () => {
    const cache = join(dir, 'cache', 'testbin', KUBE_VERSION);
    const assets = join(dir, 'assets');
    mkdirSync(cache, { recursive: true });
    mkdirSync(assets);
    for (const name of ['etcd', 'kube-apiserver', 'kube-controller-manager']) fakeBinary(join(cache, name));
    const assetsApiserver = fakeBinary(join(assets, 'kube-apiserver'));
    const assetsEtcd = fakeBinary(join(assets, 'etcd'));
    const explicitEtcd = fakeBinary(join(dir, 'my-etcd'));
    const r = findKubeBinaries(undefined, {
      GRAPEVINE_CACHE: join(dir, 'cache'),
      KUBEBUILDER_ASSETS: assets,
      TEST_ASSET_ETCD: explicitEtcd,
    });
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect(r.binaries).to.deep.equal({
      etcd: explicitEtcd,
      kubeApiserver: assetsApiserver,
      kubeControllerManager: join(cache, 'kube-controller-manager'),
    });
    expect(assetsEtcd).to.not.equal(r.binaries.etcd);
  });

  it('asks only for the binaries a caller needs', () => {
    const assets = join(dir, 'assets');
    mkdirSync(assets);
    fakeBinary(join(assets, 'etcd'));
    fakeBinary(join(assets, 'kube-apiserver'));
    const env = { GRAPEVINE_CACHE: join(dir, 'none'), KUBEBUILDER_ASSETS: assets };
    expect(findKubeBinaries(['etcd', 'kubeApiserver'], env).ok).to.equal(true);
    expect(findKubeBinaries(undefined, env).ok).to.equal(false);
  });
});

describe(`kube-env: a real control plane (etcd + kube-apiserver + kube-controller-manager ${KUBE_VERSION})`, function () {
  this.timeout(120_000);
  let env: KubeEnv;
  let admin: CoreV1Api;
  const ns = 'kube-env-test';

  const configMap = (name: string, extra: Partial<V1ConfigMap['metadata']> = {}): V1ConfigMap => ({
    metadata: { name, namespace: ns, ...extra },
    data: { hello: name },
  });
  const exists = async (name: string): Promise<boolean> =>
    (await statusOf(admin.readNamespacedConfigMap({ name, namespace: ns }))) === 200;

  before(async function () {
    skipWithoutKubeBinaries(this);
    env = await startKubeEnv({
      users: [{ name: 'alice' }, { name: 'bob', groups: ['grapevine-readers'] }],
    });
    console.log(`    kube-env timings (ms): ${JSON.stringify(env.timings)}`);
    admin = env.adminConfig.makeApiClient(CoreV1Api);
    await admin.createNamespace({ body: { metadata: { name: ns } } });
  });

  after(async () => {
    await env?.stop();
  });

  it(`is Kubernetes ${KUBE_VERSION} and stores objects created by the admin`, async () => {
    const version = await env.adminConfig.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).to.equal(KUBE_VERSION);
    await admin.createNamespacedConfigMap({ namespace: ns, body: configMap('first') });
    const read = await admin.readNamespacedConfigMap({ name: 'first', namespace: ns });
    expect(read.data).to.deep.equal({ hello: 'first' });
  });

  it('denies a plain user (403) until RBAC grants it, and only what was granted', async () => {
    const alice = env.configFor(env.userToken('alice')).makeApiClient(CoreV1Api);
    const get = (api: CoreV1Api, namespace = ns): Promise<number> =>
      statusOf(api.readNamespacedConfigMap({ name: 'first', namespace }));
    expect(await get(alice)).to.equal(403);

    const rbac = env.adminConfig.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: 'configmap-reader' },
        rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'alice-reads' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
      },
    });
    // The RBAC authorizer reads bindings through an informer: the grant lands within moments.
    await eventually('alice allowed to get', 10_000, async () =>
      (await get(alice)) === 200 ? true : undefined,
    );
    expect(await get(alice, 'default')).to.equal(403, 'a Role grants nothing outside its namespace');
    expect(
      await statusOf(alice.createNamespacedConfigMap({ namespace: ns, body: configMap('by-alice') })),
    ).to.equal(403, 'get/list do not grant create');

    // Groups from the token file are real: bob is bound through his group only.
    const bob = env.configFor(env.userToken('bob')).makeApiClient(CoreV1Api);
    expect(await get(bob)).to.equal(403);
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'readers-read' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'grapevine-readers' }],
      },
    });
    await eventually('bob allowed through his group', 10_000, async () =>
      (await get(bob)) === 200 ? true : undefined,
    );
  });

  it('rejects an unknown token (401)', async () => {
    const stranger = env.configFor('not-a-token').makeApiClient(CoreV1Api);
    expect(await statusOf(stranger.listNamespacedConfigMap({ namespace: ns }))).to.equal(401);
  });

  it('keeps its data across an apiserver restart on the same port', async () => {
    await admin.createNamespacedConfigMap({ namespace: ns, body: configMap('before-restart') });
    await env.restartApiserver();
    console.log(`    apiserver restart (stop to ready): ${env.timings.apiserverRestart} ms`);
    await admin.createNamespacedConfigMap({ namespace: ns, body: configMap('between-restarts') });
    await env.restartApiserver({ crash: true });
    console.log(`    apiserver crash-restart (SIGKILL to ready): ${env.timings.apiserverRestart} ms`);
    // The same client (same URL, same token) works again without being rebuilt.
    const read = await admin.readNamespacedConfigMap({ name: 'before-restart', namespace: ns });
    expect(read.data).to.deep.equal({ hello: 'before-restart' });
    const names = (await admin.listNamespacedConfigMap({ namespace: ns })).items.map((c) => c.metadata?.name);
    expect(names).to.include.members(['first', 'before-restart', 'between-restarts']);
  });

  it('garbage-collects a dependent once its owner is deleted (background cascade)', async () => {
    const owner = await admin.createNamespacedConfigMap({ namespace: ns, body: configMap('owner') });
    const ownerRef = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid ?? '' };
    await admin.createNamespacedConfigMap({
      namespace: ns,
      body: configMap('dependent', { ownerReferences: [ownerRef] }),
    });
    // A dependent whose owner exists is left alone.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await exists('dependent')).to.equal(true);

    const start = Date.now();
    await admin.deleteNamespacedConfigMap({ name: 'owner', namespace: ns });
    await eventually('dependent collected', 30_000, async () =>
      (await exists('dependent')) ? undefined : true,
    );
    console.log(`    background cascade: dependent gone ${Date.now() - start} ms after the owner's delete`);
  });

  it('foreground deletion keeps the owner until its dependents are gone', async () => {
    const owner = await admin.createNamespacedConfigMap({ namespace: ns, body: configMap('fg-owner') });
    const ownerRef = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: 'fg-owner',
      uid: owner.metadata?.uid ?? '',
      blockOwnerDeletion: true,
    };
    await admin.createNamespacedConfigMap({
      namespace: ns,
      body: configMap('fg-dependent', { ownerReferences: [ownerRef] }),
    });
    await admin.deleteNamespacedConfigMap({
      name: 'fg-owner',
      namespace: ns,
      propagationPolicy: 'Foreground',
    });
    // Only the garbage collector removes the foregroundDeletion finalizer, so the owner is still
    // readable right after the delete call, marked for deletion.
    const marked = await admin.readNamespacedConfigMap({ name: 'fg-owner', namespace: ns });
    expect(marked.metadata?.deletionTimestamp).to.not.equal(undefined);
    expect(marked.metadata?.finalizers).to.include('foregroundDeletion');
    await eventually('dependent and owner collected', 30_000, async () =>
      (await exists('fg-dependent')) || (await exists('fg-owner')) ? undefined : true,
    );
  });
});

describe('kube-env: startup failures', function () {
  this.timeout(60_000);

  it('names the failing component and shows the tail of its log', async function () {
    skipWithoutKubeBinaries(this, ['etcd', 'kubeApiserver']);
    let error: unknown;
    try {
      const env = await startKubeEnv({ controllerManager: false, apiserverArgs: ['--no-such-flag=1'] });
      await env.stop();
    } catch (err) {
      error = err;
    }
    expect(error).to.be.instanceOf(Error);
    const message = (error as Error).message;
    expect(message).to.match(/^kube-apiserver stopped before ready/);
    expect(message).to.contain('unknown flag: --no-such-flag');
    // A failed start keeps its logs for the developer; this one was expected, so remove them.
    const logDir = /log (\S+)\/kube-apiserver\.log/.exec(message)?.[1];
    expect(logDir, 'the message names the log file').to.be.a('string');
    if (logDir) rmSync(logDir, { recursive: true, force: true });
  });
});
