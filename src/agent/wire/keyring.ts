import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
/** Bytes encryption adds to a body: nonce before the ciphertext, GCM tag after it. */
export const SEAL_OVERHEAD = NONCE_BYTES + TAG_BYTES;

/** Source of nonces; injectable so tests can seal deterministically. */
export type NonceSource = (size: number) => Uint8Array;

/** A keyring that cannot be built; the message says which key is wrong and how. */
export class KeyringError extends Error {
  override readonly name = 'KeyringError';
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * AES-256-GCM keys. The first key (primary) seals; every key opens, so a cluster rotates keys by
 * (1) adding the new key as secondary everywhere, (2) making it primary, (3) removing the old one.
 */
export class Keyring {
  readonly keys: readonly Uint8Array[];
  private readonly nonces: NonceSource;

  constructor(keys: readonly Uint8Array[], nonceSource: NonceSource = randomBytes) {
    if (keys.length === 0) throw new KeyringError('keyring: at least one key is required');
    keys.forEach((k, i) => {
      if (k.length !== KEY_BYTES) {
        throw new KeyringError(`key ${i + 1}: expected ${KEY_BYTES} bytes, got ${k.length}`);
      }
    });
    this.keys = keys.map((k) => Uint8Array.from(k));
    this.nonces = nonceSource;
  }

  /** Keys as base64 strings (e.g. from a Secret), primary first. Errors number keys from 1. */
  static fromBase64(list: readonly string[], nonceSource?: NonceSource): Keyring {
    if (list.length === 0) throw new KeyringError('keyring: at least one key is required');
    const keys = list.map((text, i) => {
      const s = text.trim();
      if (s.length === 0) throw new KeyringError(`key ${i + 1}: empty`);
      if (!BASE64.test(s)) {
        throw new KeyringError(
          `key ${i + 1}: not valid base64 (expected ${KEY_BYTES} random bytes, base64-encoded)`,
        );
      }
      const bytes = Buffer.from(s, 'base64');
      if (bytes.length !== KEY_BYTES) {
        throw new KeyringError(
          `key ${i + 1}: expected ${KEY_BYTES} bytes after base64 decoding, got ${bytes.length}`,
        );
      }
      return new Uint8Array(bytes);
    });
    return new Keyring(keys, nonceSource);
  }

  get primary(): Uint8Array {
    return this.keys[0]!;
  }

  /** nonce | ciphertext | tag, sealed with the primary key; `aad` is authenticated, not encrypted. */
  encrypt(plain: Uint8Array, aad: Uint8Array, nonce?: Uint8Array): Uint8Array {
    const iv = nonce ?? this.nonces(NONCE_BYTES);
    if (iv.length !== NONCE_BYTES)
      throw new RangeError(`nonce: expected ${NONCE_BYTES} bytes, got ${iv.length}`);
    const cipher = createCipheriv('aes-256-gcm', this.primary, iv);
    cipher.setAAD(aad);
    const head = cipher.update(plain);
    const tail = cipher.final();
    const out = new Uint8Array(SEAL_OVERHEAD + head.length + tail.length);
    out.set(iv, 0);
    out.set(head, NONCE_BYTES);
    out.set(tail, NONCE_BYTES + head.length);
    out.set(cipher.getAuthTag(), NONCE_BYTES + head.length + tail.length);
    return out;
  }

  /** The plaintext if any key authenticates `sealed` with `aad`, else null. Never throws. */
  decrypt(sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
    if (sealed.length < SEAL_OVERHEAD) return null;
    const iv = sealed.subarray(0, NONCE_BYTES);
    const body = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
    const tag = sealed.subarray(sealed.length - TAG_BYTES);
    for (const key of this.keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(aad);
        decipher.setAuthTag(tag);
        const head = decipher.update(body);
        const tail = decipher.final();
        const out = new Uint8Array(head.length + tail.length);
        out.set(head, 0);
        out.set(tail, head.length);
        return out;
      } catch {
        // Authentication failed with this key: try the next one.
      }
    }
    return null;
  }
}
