// What an operator end-to-end test installs on a fresh control plane before starting the operator:
// the GossipCluster CRD (waited for until Established), the operator's ClusterRole bound to its test
// user (so it runs under least privilege, not system:masters), a namespace, and the ServiceMonitor
// CRD as if the Prometheus Operator were installed (schema kept open).
import {
  ApiextensionsV1Api,
  CoreV1Api,
  type KubernetesObject,
  KubernetesObjectApi,
} from '@kubernetes/client-node';
import { gossipClusterCrd } from '../../src/operator/api/crd.js';
import { GROUP, PLURAL } from '../../src/operator/api/gossipcluster-schema.js';
import { operatorClusterRole, operatorClusterRoleBinding } from '../../src/operator/rbac.js';
import type { KubeEnv } from './kube-env.js';
import { putCrd } from './kube-raw.js';
import { eventually } from './process-cluster.js';
import { monitoringCrd } from './prometheus-operator-crds.js';

export async function installOperatorApis(
  env: KubeEnv,
  opts: { namespace: string; operatorUser: string },
): Promise<void> {
  const admin = env.adminConfig;
  const objects = KubernetesObjectApi.makeApiClient(admin);
  const crds = admin.makeApiClient(ApiextensionsV1Api);
  await putCrd(env, gossipClusterCrd() as { metadata: { name: string } });
  await eventually(async () => {
    const crd = await crds.readCustomResourceDefinition({ name: `${PLURAL}.${GROUP}` });
    return (crd.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True');
  }, 20_000);
  await objects.create(operatorClusterRole() as KubernetesObject);
  await objects.create(
    operatorClusterRoleBinding({ kind: 'User', name: opts.operatorUser }) as KubernetesObject,
  );
  await admin.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: opts.namespace } } });
  await putCrd(env, monitoringCrd('ServiceMonitor'));
}
