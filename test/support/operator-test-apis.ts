// What an operator end-to-end test installs on a fresh control plane before starting the operator —
// the GossipCluster CRD (waited for until it is served), the operator's RBAC from rbac.ts bound to its
// test user (so it runs under least privilege, not system:masters; cluster-wide mode, with the Lease
// Role in the first namespace), the namespaces, and the ServiceMonitor CRD as if the Prometheus
// Operator were installed (schema kept open) — and the GossipCluster calls every such test makes.
import {
  type CustomObjectsApi,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { gossipClusterCrd } from '../../src/operator/api/crd.js';
import {
  type GossipCluster,
  GROUP,
  KIND,
  PLURAL,
  VERSION,
} from '../../src/operator/api/gossipcluster-schema.js';
import { operatorRbac } from '../../src/operator/rbac.js';
import type { KubeEnv } from './kube-env.js';
import { kubeRaw, putCrd } from './kube-raw.js';
import { eventually } from './process-cluster.js';
import { monitoringCrd } from './prometheus-operator-crds.js';

/** Applies (again) the GossipCluster CRD and waits until the apiserver serves it. */
export async function installGossipClusterCrd(env: KubeEnv): Promise<void> {
  await putCrd(env, gossipClusterCrd() as { metadata: { name: string } });
  await servedEventually(env, `/apis/${GROUP}/${VERSION}/${PLURAL}`);
}

export async function installOperatorApis(
  env: KubeEnv,
  opts: { namespace: string; operatorUser: string; moreNamespaces?: readonly string[] },
): Promise<void> {
  const admin = env.adminConfig;
  const objects = KubernetesObjectApi.makeApiClient(admin);
  await installGossipClusterCrd(env);
  for (const name of [opts.namespace, ...(opts.moreNamespaces ?? [])])
    await objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  for (const o of operatorRbac({
    subject: { kind: 'User', name: opts.operatorUser },
    operatorNamespace: opts.namespace,
    watchNamespaces: [],
  }))
    await objects.create(o as KubernetesObject);
  await putCrd(env, monitoringCrd('ServiceMonitor'));
  await servedEventually(env, '/apis/monitoring.coreos.com/v1/servicemonitors');
}

async function servedEventually(env: KubeEnv, path: string): Promise<void> {
  const served = await eventually(async () => (await kubeRaw(env, 'GET', path)).status === 200, 20_000);
  if (!served) throw new Error(`${path} was not served within 20 s`);
}

/** GossipCluster calls (as `kubectl get/create/patch/delete gc`), in `namespace` unless told otherwise. */
export function gossipClusterApi(custom: CustomObjectsApi, namespace: string) {
  const at = (name: string, ns = namespace) => ({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural: PLURAL,
    name,
  });
  return {
    get: async (name: string, ns = namespace) =>
      (await custom.getNamespacedCustomObject(at(name, ns))) as GossipCluster,
    create: (name: string, spec: Record<string, unknown>, ns = namespace) =>
      custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: ns,
        plural: PLURAL,
        body: { apiVersion: `${GROUP}/${VERSION}`, kind: KIND, metadata: { name }, spec },
      }),
    /** `kubectl patch gc <name> --type=merge -p '{"spec": …}'` */
    patchSpec: (name: string, spec: Record<string, unknown>, ns = namespace) =>
      custom.patchNamespacedCustomObject(
        { ...at(name, ns), body: { spec } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    /** `kubectl patch gc <name> --type=json -p '[…]'` */
    jsonPatch: (name: string, ops: object[], ns = namespace) =>
      custom.patchNamespacedCustomObject(
        { ...at(name, ns), body: ops },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      ),
    delete: (name: string, ns = namespace) => custom.deleteNamespacedCustomObject(at(name, ns)),
  };
}

/** Whether `read` finds the object: false on a 404, any other error is thrown. */
export async function exists(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return true;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return false;
    throw err;
  }
}

/**
 * Writes (PATCH, APPLY, PUT, POST) the apiserver itself counted for a resource and subresource
 * ('' for the main resource), by any client: `apiserver_request_total` from its /metrics. An
 * audit-free count that does not rely on the operator's own bookkeeping.
 */
export async function apiserverWrites(env: KubeEnv, resource: string, subresource = ''): Promise<number> {
  const res = await kubeRaw(env, 'GET', '/metrics');
  if (res.status !== 200 || typeof res.body !== 'string') throw new Error(`GET /metrics: HTTP ${res.status}`);
  let n = 0;
  for (const line of res.body.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries(
      [...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]] as [string, string]),
    );
    if (
      labels.resource === resource &&
      (labels.subresource ?? '') === subresource &&
      ['PATCH', 'APPLY', 'PUT', 'POST'].includes(labels.verb ?? '')
    )
      n += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return n;
}
