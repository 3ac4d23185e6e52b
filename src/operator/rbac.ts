// The operator's least-privilege permissions, defined once: the tests run the operator under exactly
// these rules (not system:masters), and the deployment manifests are generated from them.

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const OWNED = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

export const OPERATOR_RULES: readonly PolicyRule[] = [
  { apiGroups: ['grapevine.dev'], resources: ['gossipclusters'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['grapevine.dev'], resources: ['gossipclusters/status'], verbs: ['get', 'update', 'patch'] },
  { apiGroups: [''], resources: ['configmaps', 'services', 'serviceaccounts'], verbs: OWNED },
  { apiGroups: ['apps'], resources: ['daemonsets'], verbs: OWNED },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: OWNED },
  // Secrets: `get` one by name (the keyring and API token Secrets a GossipCluster names: checked
  // before agents mount them; the token for status calls) and `create` (the ones it generates).
  // No list/watch (that would hand the operator every Secret's content), no update/patch/delete
  // (generated Secrets are never changed, and go with the GossipCluster by owner reference).
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create'] },
  // Agents' pod IPs, to read their HTTP API for the status.
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch', 'update'] },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update'] },
  // Leader election.
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
  // Whether the ServiceMonitor CRD exists (Prometheus Operator installed).
  {
    apiGroups: ['apiextensions.k8s.io'],
    resources: ['customresourcedefinitions'],
    verbs: ['get', 'list', 'watch'],
  },
  { apiGroups: ['monitoring.coreos.com'], resources: ['servicemonitors'], verbs: OWNED },
];

export function operatorClusterRole(name = 'grapevine-operator'): Record<string, unknown> {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name },
    rules: OPERATOR_RULES.map((r) => ({ ...r })),
  };
}

export function operatorClusterRoleBinding(
  subject: { kind: 'ServiceAccount'; name: string; namespace: string } | { kind: 'User'; name: string },
  name = 'grapevine-operator',
): Record<string, unknown> {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: [subject.kind === 'User' ? { apiGroup: 'rbac.authorization.k8s.io', ...subject } : subject],
  };
}
