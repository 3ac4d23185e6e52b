// The operator's least-privilege permissions, defined once, as data: the tests run the operator under
// exactly these rules (not system:masters), and the chart renders its Roles/ClusterRoles from them.
// Every verb here is one the operator calls; docs/operator.md ("RBAC") says which call needs which.
//
// Two modes (the operator's --namespace flag):
// - cluster-wide (no --namespace): WATCHED_NAMESPACE_RULES in a ClusterRole bound by a
//   ClusterRoleBinding — the same rules, applied to every namespace;
// - namespaced (--namespace a,b): the same rules in a Role + RoleBinding in each watched namespace,
//   and no cluster-scoped permission at all.
// In both modes LEASE_RULES go in a Role in the operator's own namespace (leader election).

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/**
 * Kinds the operator creates and owns: listed and watched (informers), applied (patch), pruned; `get`
 * reads an object with one of our names that the cache lacks, to refuse taking over a user's object.
 */
const OWNED_VERBS = ['get', 'list', 'watch', 'create', 'patch', 'delete'];

/** What the operator needs in each namespace it watches. */
export const WATCHED_NAMESPACE_RULES: readonly PolicyRule[] = [
  // The GossipCluster informer.
  { apiGroups: ['grapevine.dev'], resources: ['gossipclusters'], verbs: ['list', 'watch'] },
  // Status is written with server-side apply, which is a patch.
  { apiGroups: ['grapevine.dev'], resources: ['gossipclusters/status'], verbs: ['patch'] },
  { apiGroups: [''], resources: ['configmaps', 'services', 'serviceaccounts'], verbs: OWNED_VERBS },
  { apiGroups: ['apps'], resources: ['daemonsets'], verbs: OWNED_VERBS },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: OWNED_VERBS },
  // Secrets: `get` one by name (the keyring and API token Secrets a GossipCluster names: checked
  // before agents mount them; the token for status calls) and `create` (the ones it generates).
  // No list/watch (that would hand the operator every Secret's content), no update/patch/delete
  // (generated Secrets are never changed, and go with the GossipCluster by owner reference).
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'create'] },
  // Agents' pod IPs, for the status collector (Pod informer).
  { apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] },
  // core/v1 Events: created, and replaced to bump the count of a repeated one.
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'update'] },
  // With the Prometheus Operator installed; a list also tells whether its API exists (no CRD access).
  { apiGroups: ['monitoring.coreos.com'], resources: ['servicemonitors'], verbs: OWNED_VERBS },
];

/** Cluster-wide mode: the ClusterRole's rules. */
export const CLUSTER_RULES: readonly PolicyRule[] = WATCHED_NAMESPACE_RULES;

/** Namespaced mode: the rules of the Role in each watched namespace. */
export const NAMESPACED_RULES: readonly PolicyRule[] = WATCHED_NAMESPACE_RULES;

/** Leader election, in a Role in the operator's own namespace (the Lease's namespace). */
export const LEASE_RULES: readonly PolicyRule[] = [
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
];

export type RbacSubject =
  | { kind: 'ServiceAccount'; name: string; namespace: string }
  | { kind: 'User'; name: string };

const RBAC_API = 'rbac.authorization.k8s.io/v1';

function subjects(subject: RbacSubject): Record<string, unknown>[] {
  return [subject.kind === 'User' ? { apiGroup: 'rbac.authorization.k8s.io', ...subject } : subject];
}

function copy(rules: readonly PolicyRule[]): PolicyRule[] {
  return rules.map((r) => ({
    apiGroups: [...r.apiGroups],
    resources: [...r.resources],
    verbs: [...r.verbs],
  }));
}

export function operatorClusterRole(name = 'grapevine-operator'): Record<string, unknown> {
  return { apiVersion: RBAC_API, kind: 'ClusterRole', metadata: { name }, rules: copy(CLUSTER_RULES) };
}

export function operatorClusterRoleBinding(
  subject: RbacSubject,
  name = 'grapevine-operator',
): Record<string, unknown> {
  return {
    apiVersion: RBAC_API,
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
    subjects: subjects(subject),
  };
}

export function operatorRole(
  namespace: string,
  rules: readonly PolicyRule[],
  name = 'grapevine-operator',
): Record<string, unknown> {
  return { apiVersion: RBAC_API, kind: 'Role', metadata: { name, namespace }, rules: copy(rules) };
}

export function operatorRoleBinding(
  namespace: string,
  subject: RbacSubject,
  name = 'grapevine-operator',
): Record<string, unknown> {
  return {
    apiVersion: RBAC_API,
    kind: 'RoleBinding',
    metadata: { name, namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
    subjects: subjects(subject),
  };
}

/**
 * Every RBAC object the operator needs: `watchNamespaces` empty means cluster-wide mode. The Lease
 * Role is named `<name>-leader-election` so it can share the operator's namespace with a watched one.
 */
export function operatorRbac(o: {
  subject: RbacSubject;
  operatorNamespace: string;
  watchNamespaces: readonly string[];
  name?: string;
}): Record<string, unknown>[] {
  const name = o.name ?? 'grapevine-operator';
  const lease = `${name}-leader-election`;
  const out: Record<string, unknown>[] = [
    operatorRole(o.operatorNamespace, LEASE_RULES, lease),
    operatorRoleBinding(o.operatorNamespace, o.subject, lease),
  ];
  if (o.watchNamespaces.length === 0) {
    out.push(operatorClusterRole(name), operatorClusterRoleBinding(o.subject, name));
  } else {
    for (const ns of o.watchNamespaces)
      out.push(operatorRole(ns, NAMESPACED_RULES, name), operatorRoleBinding(ns, o.subject, name));
  }
  return out;
}
