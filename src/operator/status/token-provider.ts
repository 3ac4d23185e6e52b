// Where the status collector gets the bearer token for a cluster's agents (their `apiTokenFile`).
// The collector only knows the TokenProvider type; secretTokenProvider reads the Secret the cluster's
// agents mount (the generated `<name>-api-token`, or the one `spec.api.tokenSecretRef` names) through
// apiTokenFor, the same reference the desired objects mount. A missing or unusable Secret means "no
// token" (agents without a token answer anyway; with one they answer 401, which the status reports).
import type { GossipCluster } from '../api/gossipcluster-schema.js';
import { resolveSpec } from '../api/resolve-spec.js';
import { apiTokenFor, type SecretReader } from '../secrets/api-token.js';

/** The cluster the token is for (the cached GossipCluster satisfies it). */
export interface TokenSubject {
  metadata: { namespace: string; name: string };
}

/** Resolves to the token, or null when the cluster's agents have none; throws only on API errors. */
export type TokenProvider = (cluster: TokenSubject) => Promise<string | null>;

export function secretTokenProvider(
  clusterOf: (namespace: string, name: string) => GossipCluster | undefined,
  read: SecretReader,
): TokenProvider {
  return async ({ metadata }) => {
    const cr = clusterOf(metadata.namespace, metadata.name);
    const resolved = cr && resolveSpec(cr.spec);
    if (!cr || !resolved?.ok) return null;
    return (await apiTokenFor(cr, resolved.spec, read)) ?? null;
  };
}
