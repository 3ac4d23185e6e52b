// Status fields the operator no longer sets but that an apply cannot remove. Server-side apply removes
// a field only when no other field manager owns it, and older operators wrote status with JSON merge
// patches, under another manager (their client's name): what they wrote stays, co-owned, for ever.
// Taking those managers' entries over (client-go's csaupgrade) is a patch of metadata.managedFields,
// which the apiserver ignores on the status subresource — and the operator may patch nothing else of
// a GossipCluster. So the writer compares the stored status an apply returns with the one it applied
// and removes the difference with a JSON patch (status-writer.ts): one more request, only when some
// other writer left a field behind.
import type { GossipClusterStatus } from '../api/gossipcluster-schema.js';

/**
 * JSON pointers (below /status) of what `stored` has and `desired` lacks: keys of objects at any
 * depth, and conditions by type (a list keyed by type). Removing them in the order given is safe
 * (list indexes come highest first).
 */
export function staleStatusPaths(
  stored: GossipClusterStatus | undefined,
  desired: GossipClusterStatus,
): string[] {
  return extra(stored, desired, '/status');
}

function extra(stored: unknown, desired: unknown, at: string): string[] {
  if (!isRecord(stored) || !isRecord(desired)) return [];
  const paths: string[] = [];
  for (const [key, value] of Object.entries(stored)) {
    const path = `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const wanted = desired[key];
    if (wanted === undefined) paths.push(path);
    else if (key === 'conditions' && Array.isArray(value) && Array.isArray(wanted))
      paths.push(...extraConditions(value, wanted, path));
    else paths.push(...extra(value, wanted, path));
  }
  return paths;
}

function extraConditions(stored: unknown[], desired: unknown[], at: string): string[] {
  const types = new Set(desired.map((c) => (isRecord(c) ? c.type : undefined)));
  const paths: string[] = [];
  for (let i = stored.length - 1; i >= 0; i--) {
    const c = stored[i];
    const match = isRecord(c) ? desired.find((d) => isRecord(d) && d.type === c.type) : undefined;
    if (!isRecord(c) || !types.has(c.type)) paths.push(`${at}/${i}`);
    else paths.push(...extra(c, match, `${at}/${i}`));
  }
  return paths;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
