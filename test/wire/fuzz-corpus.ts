// Generates decoder fuzz inputs: valid packets, mutated packets, truncations and random bytes. Shared by
// the fuzz test and scripts/fuzz-decoder.ts. Valid packets come from a pool sampled with fast-check;
// everything else from a seeded xorshift so runs are reproducible.
import fc from 'fast-check';
import { encodeMessage } from '../../src/agent/wire/message-codec.js';
import type { PacketSender } from '../../src/agent/wire/messages.js';
import { encodePacket } from '../../src/agent/wire/packet-codec.js';
import { message, sender } from './arbitraries.js';

export const FUZZ_CLUSTER = 'fuzz';
export type FuzzKind = 'valid' | 'mutated' | 'truncated' | 'random' | 'random-after-header';

export interface FuzzCase {
  kind: FuzzKind;
  bytes: Uint8Array;
}

/** xorshift32: deterministic and fast; Math.random would make failures irreproducible. */
export class XorShift {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.next() % n;
  }
}

export class FuzzCorpus {
  private readonly rng: XorShift;
  private readonly packets: Uint8Array[];
  private readonly header: Uint8Array;

  constructor(seed: number, poolSize = 300) {
    this.rng = new XorShift(seed);
    const messages = fc.sample(message(), { numRuns: poolSize, seed }).map(encodeMessage);
    const senders: PacketSender[] = fc.sample(sender(), { numRuns: 50, seed: seed + 1 });
    this.packets = [];
    for (let i = 0; i < poolSize; i++) {
      const n = this.rng.int(6);
      const picked: Uint8Array[] = [];
      for (let j = 0; j < n; j++) picked.push(messages[this.rng.int(messages.length)]!);
      this.packets.push(encodePacket(FUZZ_CLUSTER, senders[this.rng.int(senders.length)]!, picked, null));
    }
    this.header = this.packets[0]!.subarray(0, 4 + 1 + FUZZ_CLUSTER.length);
  }

  next(): FuzzCase {
    const roll = this.rng.int(100);
    const base = this.packets[this.rng.int(this.packets.length)]!;
    if (roll < 15) return { kind: 'valid', bytes: base };
    if (roll < 55) return { kind: 'mutated', bytes: this.mutate(base) };
    if (roll < 75) return { kind: 'truncated', bytes: base.subarray(0, this.rng.int(base.length)) };
    if (roll < 85) return { kind: 'random', bytes: this.randomBytes(this.rng.int(200)) };
    const tail = this.randomBytes(this.rng.int(200));
    const out = new Uint8Array(this.header.length + tail.length);
    out.set(this.header, 0);
    out.set(tail, this.header.length);
    return { kind: 'random-after-header', bytes: out };
  }

  /** 1–4 edits: flip a bit, set a byte to an edge value, or insert/delete a byte. */
  private mutate(src: Uint8Array): Uint8Array {
    let b = Uint8Array.from(src);
    const edits = 1 + this.rng.int(4);
    for (let e = 0; e < edits && b.length > 0; e++) {
      const at = this.rng.int(b.length);
      switch (this.rng.int(4)) {
        case 0:
          b[at] = b[at]! ^ (1 << this.rng.int(8));
          break;
        case 1:
          b[at] = [0x00, 0x7f, 0x80, 0xff][this.rng.int(4)]!;
          break;
        case 2: {
          const grown = new Uint8Array(b.length + 1);
          grown.set(b.subarray(0, at), 0);
          grown[at] = this.rng.int(256);
          grown.set(b.subarray(at), at + 1);
          b = grown;
          break;
        }
        default: {
          const shrunk = new Uint8Array(b.length - 1);
          shrunk.set(b.subarray(0, at), 0);
          shrunk.set(b.subarray(at + 1), at);
          b = shrunk;
        }
      }
    }
    return b;
  }

  private randomBytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.rng.int(256);
    return out;
  }
}
