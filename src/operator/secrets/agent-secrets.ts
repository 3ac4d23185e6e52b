// Before anything is applied, the Secrets the agents will mount must exist and be usable. The
// operator generates the ones the spec leaves to it (created once with POST, never updated, owned by
// the GossipCluster so they go with it) and checks the user's own. Every problem comes back as a
// condition reason and one line naming the Secret; the reconciler then applies nothing.
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { GossipCluster, GossipClusterSpec } from '../api/gossipcluster-schema.js';
import { NOT_OWNED_REASON, takeoverProblem } from '../apply/ownership.js';
import { objectMeta } from '../desired/metadata.js';
import { keyringProblem, newKeyringText, newToken, tokenProblem } from './secret-content.js';
import { apiTokenSecretRef, keyringSecretRef, type SecretRef } from './secret-refs.js';

export interface SecretProblem {
  readonly reason: string;
  readonly message: string;
}

export interface SecretIo {
  read(namespace: string, name: string): Promise<V1Secret | undefined>;
  create(secret: KubernetesObject): Promise<void>;
  random?: (n: number) => Uint8Array;
}

export interface AgentSecretsResult {
  readonly problems: SecretProblem[];
  /** Names of the Secrets generated in this pass. */
  readonly created: string[];
}

interface Role {
  readonly ref: SecretRef;
  readonly problem: (s: V1Secret | undefined, ref: SecretRef) => string | undefined;
  readonly content: (random?: (n: number) => Uint8Array) => string;
  readonly reason: string;
}

export async function ensureAgentSecrets(
  cr: GossipCluster,
  spec: GossipClusterSpec,
  io: SecretIo,
): Promise<AgentSecretsResult> {
  const keyring = keyringSecretRef(cr, spec);
  const roles: Role[] = [
    ...(keyring
      ? [
          {
            ref: keyring,
            problem: keyringProblem,
            content: newKeyringText,
            reason: 'EncryptionSecretInvalid',
          },
        ]
      : []),
    {
      ref: apiTokenSecretRef(cr, spec),
      problem: tokenProblem,
      content: newToken,
      reason: 'ApiTokenSecretInvalid',
    },
  ];
  const problems: SecretProblem[] = [];
  const created: string[] = [];
  for (const role of roles) {
    const { ref } = role;
    const secret = await io.read(cr.metadata.namespace, ref.name);
    if (secret === undefined && ref.generated) {
      await io.create(generatedSecret(cr, ref, role.content(io.random)));
      created.push(ref.name);
      continue;
    }
    if (secret !== undefined && ref.generated) {
      const takeover = takeoverProblem({ ...secret, kind: 'Secret' }, cr);
      if (takeover !== undefined) {
        problems.push({ reason: NOT_OWNED_REASON, message: takeover });
        continue;
      }
    }
    const message = role.problem(secret, ref);
    if (message !== undefined) problems.push({ reason: role.reason, message });
  }
  return { problems, created };
}

/** A Secret the operator generates: owned by (and deleted with) the GossipCluster. */
export function generatedSecret(cr: GossipCluster, ref: SecretRef, text: string): V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: objectMeta(cr, ref.name),
    type: 'Opaque',
    data: { [ref.key]: Buffer.from(text).toString('base64') },
  };
}
