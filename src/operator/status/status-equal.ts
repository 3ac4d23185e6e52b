// Whether two statuses say the same thing, so the controller skips writing an unchanged one. Nothing
// is ignored: computeStatus keeps lastTransitionTime and lastConvergenceTime when nothing changed,
// so an unchanged world yields an equal status. Only the representation is normalised: key order,
// condition order (conditions are keyed by type) and keys holding undefined.
import type { GossipClusterStatus } from '../api/gossipcluster-schema.js';

export function statusEqual(a: GossipClusterStatus | undefined, b: GossipClusterStatus | undefined): boolean {
  return canonical(normalise(a)) === canonical(normalise(b));
}

function normalise(s: GossipClusterStatus | undefined): GossipClusterStatus {
  if (!s) return {};
  if (!s.conditions) return s;
  const conditions = [...s.conditions].sort((x, y) => (x.type < y.type ? -1 : x.type > y.type ? 1 : 0));
  return { ...s, conditions };
}

/** JSON with object keys sorted and undefined-valued keys dropped. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
