// What a usable keyring or token Secret holds, checked by the operator before any agent mounts it:
// a missing or malformed Secret would otherwise surface only as pods stuck in ContainerCreating or
// agents crash-looping, with the GossipCluster saying all is well.
import { randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { parseKeyringText } from '../../agent/config/keyring-file.js';
import { KEY_BYTES } from '../../agent/wire/keyring.js';
import type { SecretRef } from './secret-refs.js';

/** Shortest token accepted from a user's Secret: guessing must stay out of reach. */
export const MIN_TOKEN_LENGTH = 16;

/** The decoded text of `ref.key`, or undefined when the Secret lacks the key. */
export function secretText(secret: V1Secret, key: string): string | undefined {
  const b64 = secret.data?.[key];
  if (b64 !== undefined) return Buffer.from(b64, 'base64').toString('utf8');
  return secret.stringData?.[key];
}

function what(ref: SecretRef, role: string): string {
  return `${role} Secret ${ref.name}`;
}

/** One line on what is wrong with the keyring Secret and what to do, or undefined when usable. */
export function keyringProblem(secret: V1Secret | undefined, ref: SecretRef): string | undefined {
  const label = what(ref, 'keyring');
  if (secret === undefined)
    return `${label} does not exist: create it with key ${ref.key} (base64 AES-256 keys, one per line), or remove spec.encryption.secretRef to let the operator generate one`;
  const text = secretText(secret, ref.key);
  if (text === undefined)
    return `${label} has no key ${ref.key} (it has: ${Object.keys(secret.data ?? {}).join(', ') || 'none'})`;
  try {
    parseKeyringText(text, `${ref.name}/${ref.key}`);
    return undefined;
  } catch (err) {
    return `${label} is malformed: ${(err as Error).message}`;
  }
}

export function tokenProblem(secret: V1Secret | undefined, ref: SecretRef): string | undefined {
  const label = what(ref, 'API token');
  if (secret === undefined)
    return `${label} does not exist: create it with key ${ref.key}, or remove spec.api.tokenSecretRef to let the operator generate one`;
  const text = secretText(secret, ref.key)?.trim();
  if (text === undefined) return `${label} has no key ${ref.key}`;
  if (text.length < MIN_TOKEN_LENGTH || /\s/.test(text))
    return `${label} key ${ref.key}: the token must be at least ${MIN_TOKEN_LENGTH} characters without whitespace`;
  return undefined;
}

/** A fresh keyring: one random AES-256 key, base64, as the agent reads it. */
export function newKeyringText(random: (n: number) => Uint8Array = randomBytes): string {
  return `${Buffer.from(random(KEY_BYTES)).toString('base64')}\n`;
}

/** A fresh bearer token: 32 random bytes, base64url. */
export function newToken(random: (n: number) => Uint8Array = randomBytes): string {
  return Buffer.from(random(32)).toString('base64url');
}
