// Cluster-wide keyring changes (Serf's `keys install|use|remove|list`), as internal queries: the
// origin sends `_grapevine-<op>-key` with the key as payload (the cluster already encrypts every
// packet, or the operation is refused), and each agent applies the change to its live keyring with
// applyKeyOp and answers with a KeyOpAnswer. Pure functions; the agent does the I/O.
import { createHash } from 'node:crypto';
import { KEY_BYTES, Keyring } from '../wire/keyring.js';

export const KEY_OPS = ['install', 'use', 'remove', 'list'] as const;
export type KeyOp = (typeof KEY_OPS)[number];

/** The internal query name of an operation; agents refuse these names from users. */
export const keyQueryName = (op: KeyOp): string => `_grapevine-${op}-key`;

export function keyOpOfQuery(name: string): KeyOp | undefined {
  return KEY_OPS.find((op) => keyQueryName(op) === name);
}

/** First 16 hex digits of the key's SHA-256: enough to tell keys apart, useless to an attacker. */
export function keyFingerprint(key: Uint8Array): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** One agent's answer (JSON, well under the 1 KiB response limit for up to 32 keys). */
export interface KeyOpAnswer {
  ok: boolean;
  error?: string;
  /** The keyring file was rewritten; false: the change lives in memory only (see `note`). */
  persisted?: boolean;
  note?: string;
  /** The keyring after the operation, by fingerprint, primary first. */
  keys?: string[];
}

export const MAX_KEYS = 32;

export type KeyOpOutcome = { ok: true; next: Keyring; changed: boolean } | { ok: false; error: string };

/** What `op` with `key` makes of `current`; refuses what would break this node or the cluster. */
export function applyKeyOp(current: Keyring | null, op: KeyOp, key: Uint8Array): KeyOpOutcome {
  if (current === null)
    return { ok: false, error: 'encryption is off on this node: a key sent to it would travel in plaintext' };
  if (op === 'list') return { ok: true, next: current, changed: false };
  if (key.length !== KEY_BYTES)
    return { ok: false, error: `a key must be ${KEY_BYTES} bytes, got ${key.length}` };
  const at = current.keys.findIndex((k) => equal(k, key));
  switch (op) {
    case 'install':
      if (at >= 0) return { ok: true, next: current, changed: false };
      if (current.keys.length >= MAX_KEYS)
        return { ok: false, error: `the keyring already holds ${MAX_KEYS} keys` };
      return { ok: true, next: new Keyring([...current.keys, key]), changed: true };
    case 'use':
      if (at < 0) return { ok: false, error: 'key not installed on this node: install it everywhere first' };
      if (at === 0) return { ok: true, next: current, changed: false };
      return {
        ok: true,
        next: new Keyring([key, ...current.keys.filter((_, i) => i !== at)]),
        changed: true,
      };
    case 'remove':
      if (at === 0) return { ok: false, error: 'this key is the primary key here: use another key first' };
      if (at < 0) return { ok: true, next: current, changed: false };
      return { ok: true, next: new Keyring(current.keys.filter((_, i) => i !== at)), changed: true };
  }
}

/** The keyring file's text: one base64 key per line, primary first. */
export function keyringFileText(keyring: Keyring): string {
  return `${keyring.keys.map((k) => Buffer.from(k).toString('base64')).join('\n')}\n`;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
