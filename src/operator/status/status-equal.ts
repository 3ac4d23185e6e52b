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

/**
 * Where two statuses differ, for logs: paths such as `conditions[Ready].status` or `members.alive`
 * (conditions by type, at most `limit` paths).
 */
export function statusDifferences(
  a: GossipClusterStatus | undefined,
  b: GossipClusterStatus | undefined,
  limit = 8,
): string[] {
  const out: string[] = [];
  walk(keyed(a ?? {}), keyed(b ?? {}), '', out);
  return out.slice(0, limit);
}

function keyed(s: GossipClusterStatus): Record<string, unknown> {
  const { conditions, ...rest } = s;
  return conditions ? { ...rest, conditions: Object.fromEntries(conditions.map((c) => [c.type, c])) } : rest;
}

function walk(a: unknown, b: unknown, path: string, out: string[]): void {
  const isObj = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const sub = path === 'conditions' ? `conditions[${key}]` : path ? `${path}.${key}` : key;
      walk(a[key], b[key], sub, out);
    }
    return;
  }
  if (canonical(a) !== canonical(b)) out.push(path || '(root)');
}
