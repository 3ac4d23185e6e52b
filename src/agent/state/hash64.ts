// A fast, non-cryptographic 64-bit hash as two 32-bit lanes. The lanes use different round
// functions (murmur3 and xxhash32 style) so they behave as two independent 32-bit hashes; the pair
// only collides when both do. Everything works on 32-bit integers (Math.imul) — no BigInt — and the
// streaming Hasher64 allocates nothing until digest(), because the simulator hashes a lot.
import type { Hash64 } from '../wire/messages.js';

export const ZERO_HASH: Hash64 = Object.freeze([0, 0] as const);

const M1 = 0xcc9e2d51;
const M2 = 0x1b873593;
const X1 = 0x9e3779b1;
const X2 = 0x85ebca77;
const X3 = 0xc2b2ae3d;
const SEED_HI = 0x2545f491;
const SEED_LO = 0x6a09e667;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function murmurRound(h: number, k: number): number {
  let x = Math.imul(k, M1);
  x = rotl(x, 15);
  x = Math.imul(x, M2);
  const y = rotl(h ^ x, 13);
  return (Math.imul(y, 5) + 0xe6546b64) | 0;
}

function xxRound(h: number, k: number): number {
  return Math.imul(rotl((h + Math.imul(k, X2)) | 0, 13), X1);
}

/** murmur3's finalizer: full avalanche of a 32-bit value. */
export function fmix32(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

function xxAvalanche(h: number): number {
  let x = h ^ (h >>> 15);
  x = Math.imul(x, X2);
  x ^= x >>> 13;
  x = Math.imul(x, X3);
  return (x ^ (x >>> 16)) >>> 0;
}

// Shared scratch for hashing numbers by their exact IEEE-754 bits (covers ms timestamps > 2^32).
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/**
 * Streaming hasher. Every variable-length field is length-prefixed, so a sequence of fields hashes
 * unambiguously ("ab","c" differs from "a","bc"). Reuse one instance with reset() on hot paths.
 */
export class Hasher64 {
  private hi = SEED_HI;
  private lo = SEED_LO;
  private words = 0;

  reset(): this {
    this.hi = SEED_HI;
    this.lo = SEED_LO;
    this.words = 0;
    return this;
  }

  uint32(k: number): this {
    this.hi = murmurRound(this.hi, k);
    this.lo = xxRound(this.lo, k);
    this.words++;
    return this;
  }

  number(n: number): this {
    f64[0] = n;
    return this.uint32(u32[0]!).uint32(u32[1]!);
  }

  /** Hashes UTF-16 code units, two per word: deterministic across nodes without an encoding step. */
  string(s: string): this {
    const n = s.length;
    this.uint32(n);
    let i = 0;
    for (; i + 1 < n; i += 2) this.uint32(s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16));
    if (i < n) this.uint32(s.charCodeAt(i));
    return this;
  }

  bytes(b: Uint8Array): this {
    const n = b.length;
    this.uint32(n);
    let i = 0;
    for (; i + 3 < n; i += 4) this.uint32(b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24));
    if (i < n) {
      let k = 0;
      for (let s = 0; i < n; i++, s += 8) k |= b[i]! << s;
      this.uint32(k);
    }
    return this;
  }

  digest(): Hash64 {
    return [fmix32(this.hi ^ this.words), xxAvalanche(this.lo ^ Math.imul(this.words, X3))];
  }
}

const scratch = new Hasher64();

export function hashString(s: string): Hash64 {
  return scratch.reset().string(s).digest();
}

export function hashBytes(b: Uint8Array): Hash64 {
  return scratch.reset().bytes(b).digest();
}

export function xorHash(a: Hash64, b: Hash64): Hash64 {
  return [(a[0] ^ b[0]) >>> 0, (a[1] ^ b[1]) >>> 0];
}

export function hashEquals(a: Hash64, b: Hash64): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

/** Total order on hashes (unsigned, hi lane first), for deterministic tie-breaks. */
export function compareHash(a: Hash64, b: Hash64): number {
  if (a[0] !== b[0]) return a[0] >>> 0 < b[0] >>> 0 ? -1 : 1;
  if (a[1] !== b[1]) return a[1] >>> 0 < b[1] >>> 0 ? -1 : 1;
  return 0;
}

/** A Map-friendly identity for a hash (used where a lookup by the full 64 bits is needed). */
export function hashId(h: Hash64): string {
  return `${h[0] >>> 0}:${h[1] >>> 0}`;
}

/**
 * Non-linear combination of two hashes into one. Used by the digest tree so that XOR-ing many
 * (key, entry) pairs cannot cancel: swapping entry hashes between two keys changes the result.
 */
export function mixHash(a: Hash64, b: Hash64): Hash64 {
  let hi = murmurRound(SEED_LO, a[0]);
  hi = murmurRound(hi, a[1]);
  hi = murmurRound(hi, b[0]);
  hi = murmurRound(hi, b[1]);
  let lo = xxRound(SEED_HI, a[0]);
  lo = xxRound(lo, a[1]);
  lo = xxRound(lo, b[0]);
  lo = xxRound(lo, b[1]);
  return [fmix32(hi ^ 16), xxAvalanche(lo ^ 16)];
}
