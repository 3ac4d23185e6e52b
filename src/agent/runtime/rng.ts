import { randomBytes } from 'node:crypto';
import type { Rng } from '../base/types.js';

const TWO_POW_32 = 4_294_967_296;

/** splitmix32: spreads one 32-bit seed into well-mixed words for the generator state. */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** sfc32 (Small Fast Counter): 128-bit state, passes PractRand, only 32-bit integer ops. */
export class Sfc32Rng implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    const mix = { s: seed >>> 0 };
    this.a = splitmix32(mix);
    this.b = splitmix32(mix);
    this.c = splitmix32(mix);
    this.d = 1; // the counter; sfc32 recommends starting it at 1
    // Discard early outputs so nearby seeds diverge fully.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    this.c = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform integer in [0, n); n must be a positive integer (throws RangeError otherwise). */
  int(n: number): number {
    if (!(n >= 1) || !Number.isInteger(n))
      throw new RangeError(`rng.int(n) needs a positive integer, got ${n}`);
    return Math.floor(this.next() * n);
  }
}

/** Deterministic generator: the same seed always yields the same sequence. */
export function createRng(seed: number): Sfc32Rng {
  return new Sfc32Rng(seed);
}

/** A 32-bit seed from the OS entropy pool, for real agents. */
export function cryptoSeed(): number {
  return randomBytes(4).readUInt32LE(0);
}
