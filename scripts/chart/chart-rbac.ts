// The chart's RBAC data (charts/grapevine/files/rbac.json), taken from the one definition of the
// operator's permissions in src/operator/rbac.ts. The chart's templates only place these rules: a
// ClusterRole (cluster-wide mode) or a Role per watched namespace (namespaced mode), plus a Role for
// the leader-election Lease in the release namespace in both modes. They never spell a rule
// themselves, so re-running scripts/gen-chart.ts follows rbac.ts.
import { CLUSTER_RULES, LEASE_RULES, NAMESPACED_RULES, type PolicyRule } from '../../src/operator/rbac.js';

export interface ChartRbac {
  /** Cluster-wide mode: one ClusterRole. */
  clusterWide: PolicyRule[];
  /** Namespaced mode: a Role in each watched namespace. */
  namespaced: PolicyRule[];
  /** Both modes: a Role in the release namespace for the leader-election Lease. */
  lease: PolicyRule[];
}

const copy = (rules: readonly PolicyRule[]): PolicyRule[] =>
  rules.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] }));

export function chartRbac(): ChartRbac {
  return { clusterWide: copy(CLUSTER_RULES), namespaced: copy(NAMESPACED_RULES), lease: copy(LEASE_RULES) };
}

export function chartRbacJson(): string {
  return `${JSON.stringify(chartRbac(), null, 2)}\n`;
}
