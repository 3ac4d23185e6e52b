// The bearer token of a GossipCluster's agents, for the operator's own calls to their HTTP API
// (the status collector). The Secret is read on each call: tokens are rotated by editing it.
//
//   apiTokenFor(cr, spec, read) → the token, or undefined while the Secret is absent or unusable.
import type { V1Secret } from '@kubernetes/client-node';
import type { GossipCluster, GossipClusterSpec } from '../api/gossipcluster-schema.js';
import { secretText, tokenProblem } from './secret-content.js';
import { apiTokenSecretRef } from './secret-refs.js';

export type SecretReader = (namespace: string, name: string) => Promise<V1Secret | undefined>;

export async function apiTokenFor(
  cr: GossipCluster,
  spec: GossipClusterSpec,
  read: SecretReader,
): Promise<string | undefined> {
  const ref = apiTokenSecretRef(cr, spec);
  const secret = await read(cr.metadata.namespace, ref.name);
  if (secret === undefined || tokenProblem(secret, ref) !== undefined) return undefined;
  return secretText(secret, ref.key)?.trim();
}
