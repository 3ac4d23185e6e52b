// The chart's RBAC data (charts/grapevine/files/rbac.json), derived from the one definition of the
// operator's permissions in src/operator/rbac.ts. The chart's templates only arrange these rules into
// a ClusterRole (cluster-wide mode) or Roles per watched namespace + a small ClusterRole (namespaced
// mode); they never spell a rule themselves, so re-running scripts/gen-chart.ts follows rbac.ts.
import { OPERATOR_RULES, type PolicyRule } from '../../src/operator/rbac.js';

export interface ChartRbac {
  /** Cluster-wide mode: the whole of OPERATOR_RULES, in one ClusterRole. */
  clusterWide: PolicyRule[];
  /** Namespaced mode, a Role in each watched namespace: the rules on namespaced resources. */
  namespaced: PolicyRule[];
  /** Namespaced mode, a ClusterRole: rules on cluster-scoped resources (they cannot go in a Role). */
  clusterScoped: PolicyRule[];
  /** Namespaced mode, a Role in the release namespace: the leader-election Lease. */
  lease: PolicyRule[];
}

/** Resources that exist only at cluster scope, as `group/resource` ('' is the core group). */
const CLUSTER_SCOPED = new Set(['apiextensions.k8s.io/customresourcedefinitions', '/namespaces', '/nodes']);
const LEASE_GROUP = 'coordination.k8s.io';

const copy = (r: PolicyRule): PolicyRule => ({
  apiGroups: [...r.apiGroups],
  resources: [...r.resources],
  verbs: [...r.verbs],
});

const isClusterScoped = (r: PolicyRule) =>
  r.apiGroups.some((g) => r.resources.some((res) => CLUSTER_SCOPED.has(`${g}/${res}`)));

export function chartRbac(rules: readonly PolicyRule[] = OPERATOR_RULES): ChartRbac {
  for (const r of rules) {
    const mixed = r.apiGroups.some((g) => r.resources.some((res) => !CLUSTER_SCOPED.has(`${g}/${res}`)));
    if (isClusterScoped(r) && mixed)
      throw new Error(
        `rbac.ts rule ${JSON.stringify(r)} mixes cluster-scoped and namespaced resources; split it`,
      );
  }
  const lease = (r: PolicyRule) => r.apiGroups.includes(LEASE_GROUP);
  return {
    clusterWide: rules.map(copy),
    namespaced: rules.filter((r) => !isClusterScoped(r) && !lease(r)).map(copy),
    clusterScoped: rules.filter(isClusterScoped).map(copy),
    lease: rules.filter(lease).map(copy),
  };
}

export function chartRbacJson(): string {
  return `${JSON.stringify(chartRbac(), null, 2)}\n`;
}
