// Never adopt. An object with one of our names that this GossipCluster does not control (no
// controller owner reference with its uid) belongs to someone else: a forced server-side apply would
// merge into it, add our owner reference and let the garbage collector delete it with the cluster.
// Such an object blocks the whole apply (a half-applied cluster is worse than none) until the user
// renames or deletes it.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { GossipCluster } from '../api/gossipcluster-schema.js';

/** Condition reason when an object the operator would own already exists and is someone else's. */
export const NOT_OWNED_REASON = 'ObjectNotOwned';

export function controlledBy(o: KubernetesObject, cr: GossipCluster): boolean {
  return (o.metadata?.ownerReferences ?? []).some((r) => r.uid === cr.metadata.uid && r.controller === true);
}

/** One line naming the object and what to do; undefined when `live` is ours (or absent). */
export function takeoverProblem(live: KubernetesObject | undefined, cr: GossipCluster): string | undefined {
  if (live === undefined || controlledBy(live, cr)) return undefined;
  const { kind = 'object', metadata } = live;
  const owner = (metadata?.ownerReferences ?? []).find((r) => r.controller);
  const whose = owner ? `is controlled by ${owner.kind} ${owner.name}` : 'was not created by the operator';
  return `${kind} ${metadata?.namespace}/${metadata?.name} already exists and ${whose}; it is left untouched and nothing is applied — rename or delete it (or rename the GossipCluster)`;
}

export interface LiveObjects {
  /** By objectId(): the live object of each desired one that exists. */
  readonly live: Map<string, KubernetesObject>;
  /** One line per desired object that exists but is not ours (see takeoverProblem). */
  readonly problems: string[];
}

/**
 * The live counterpart of each desired object: from the cache (objects with our labels) or, when
 * the cache has none, read from the apiserver — an object the user made has none of our labels.
 */
export async function liveObjects(
  desired: Iterable<KubernetesObject>,
  cached: readonly KubernetesObject[],
  cr: GossipCluster,
  read: (o: KubernetesObject) => Promise<KubernetesObject | undefined>,
): Promise<LiveObjects> {
  const live = new Map<string, KubernetesObject>();
  const problems: string[] = [];
  for (const obj of desired) {
    const id = objectId(obj);
    const current = cached.find((l) => objectId(l) === id) ?? (await read(obj));
    if (current === undefined) continue;
    const problem = takeoverProblem({ ...current, kind: current.kind ?? obj.kind }, cr);
    if (problem !== undefined) problems.push(problem);
    else live.set(id, current);
  }
  return { live, problems };
}

export function objectId(o: KubernetesObject): string {
  return `${o.apiVersion}/${o.kind}/${o.metadata?.namespace}/${o.metadata?.name}`;
}
