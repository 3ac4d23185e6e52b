// Where the status collector gets the bearer token for a cluster's agents (their `apiTokenFile`).
// The collector only knows the TokenProvider type; secretTokenProvider reads the conventional Secret
// `<name>-api-token`, key `token`, in the GossipCluster's namespace. A missing Secret means "no
// token" (agents without a token answer anyway; with one they answer 401, which the status reports).
import type { CoreV1Api } from '@kubernetes/client-node';
import { statusCode } from '../apply/object-applier.js';

/** The cluster the token is for (the cached GossipCluster satisfies it). */
export interface TokenSubject {
  metadata: { namespace: string; name: string };
}

/** Resolves to the token, or null when the cluster's agents have none; throws only on API errors. */
export type TokenProvider = (cluster: TokenSubject) => Promise<string | null>;

export const API_TOKEN_KEY = 'token';

export function apiTokenSecretName(clusterName: string): string {
  return `${clusterName}-api-token`;
}

export function secretTokenProvider(core: Pick<CoreV1Api, 'readNamespacedSecret'>): TokenProvider {
  return async (cluster) => {
    try {
      const secret = await core.readNamespacedSecret({
        namespace: cluster.metadata.namespace,
        name: apiTokenSecretName(cluster.metadata.name),
      });
      const b64 = secret.data?.[API_TOKEN_KEY];
      if (!b64) return null;
      const token = Buffer.from(b64, 'base64').toString('utf8').trim();
      return token === '' ? null : token;
    } catch (err) {
      if (statusCode(err) === 404) return null;
      throw err;
    }
  };
}
