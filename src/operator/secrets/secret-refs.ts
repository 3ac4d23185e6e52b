// Which Secrets a GossipCluster's agents mount: the user's (named in the spec) or one the operator
// generates and owns (`<name>-keyring`, `<name>-api-token`). Pure: names only, no I/O.
import type { GossipCluster, GossipClusterSpec } from '../api/gossipcluster-schema.js';

export interface SecretRef {
  readonly name: string;
  readonly key: string;
  /** The operator creates it (random content, owned by the GossipCluster) when it is absent. */
  readonly generated: boolean;
}

export const GENERATED_KEYRING_KEY = 'keyring';
export const GENERATED_TOKEN_KEY = 'token';

export function keyringSecretRef(cr: GossipCluster, spec: GossipClusterSpec): SecretRef | undefined {
  if (!spec.encryption) return undefined;
  const own = spec.encryption.secretRef;
  return own
    ? { name: own.name, key: own.key, generated: false }
    : { name: `${cr.metadata.name}-keyring`, key: GENERATED_KEYRING_KEY, generated: true };
}

export function apiTokenSecretRef(cr: GossipCluster, spec: GossipClusterSpec): SecretRef {
  const own = spec.api.tokenSecretRef;
  return own
    ? { name: own.name, key: own.key, generated: false }
    : { name: `${cr.metadata.name}-api-token`, key: GENERATED_TOKEN_KEY, generated: true };
}
