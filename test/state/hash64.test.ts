import { expect } from 'chai';
import fc from 'fast-check';
import {
  compareHash,
  Hasher64,
  hashBytes,
  hashEquals,
  hashId,
  hashString,
  mixHash,
  xorHash,
  ZERO_HASH,
} from '../../src/agent/state/hash64.js';

describe('hash64', () => {
  it('is deterministic and yields two unsigned 32-bit lanes', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const h = hashString(s);
        expect(hashString(s)).to.deep.equal(h);
        for (const lane of h)
          expect(Number.isInteger(lane) && lane >= 0 && lane <= 0xffffffff).to.equal(true);
      }),
    );
  });

  it('has no collisions among 200,000 similar strings, and both lanes spread', () => {
    const seen = new Set<string>();
    const hiTop = new Set<number>();
    const loTop = new Set<number>();
    for (let i = 0; i < 200_000; i++) {
      const h = hashString(`node-${i}`);
      seen.add(hashId(h));
      hiTop.add(h[0] >>> 20);
      loTop.add(h[1] >>> 20);
    }
    expect(seen.size).to.equal(200_000);
    // 200k values into 4096 buckets: every bucket is hit (the digest tree leaf uses these bits).
    expect(hiTop.size).to.equal(4096);
    expect(loTop.size).to.equal(4096);
  });

  it('distinguishes byte arrays that differ in one byte or in length', () => {
    const a = new Uint8Array([1, 2, 3, 4, 5]);
    expect(hashBytes(a)).to.not.deep.equal(hashBytes(new Uint8Array([1, 2, 3, 4, 6])));
    expect(hashBytes(a)).to.not.deep.equal(hashBytes(new Uint8Array([1, 2, 3, 4, 5, 0])));
    expect(hashBytes(new Uint8Array([]))).to.not.deep.equal(hashBytes(new Uint8Array([0])));
  });

  it('length-prefixes fields, so field boundaries matter', () => {
    const h1 = new Hasher64().string('ab').string('c').digest();
    const h2 = new Hasher64().string('a').string('bc').digest();
    expect(h1).to.not.deep.equal(h2);
    expect(new Hasher64().number(2 ** 40).digest()).to.not.deep.equal(
      new Hasher64().number(2 ** 40 + 1).digest(),
    );
  });

  it('xor is its own inverse and ZERO_HASH is the identity', () => {
    const a = hashString('a');
    const b = hashString('b');
    expect(xorHash(xorHash(a, b), b)).to.deep.equal(a);
    expect(xorHash(a, ZERO_HASH)).to.deep.equal(a);
    expect(hashEquals(a, [a[0], a[1]])).to.equal(true);
    expect(hashEquals(a, b)).to.equal(false);
  });

  it('compareHash is a total order consistent with equality', () => {
    const h = fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }));
    fc.assert(
      fc.property(h, h, (a, b) => {
        expect(Math.sign(compareHash(a, b))).to.equal(-Math.sign(compareHash(b, a)));
        expect(compareHash(a, b) === 0).to.equal(hashEquals(a, b));
      }),
    );
  });

  it('mixHash is not symmetric in its arguments', () => {
    const a = hashString('a');
    const b = hashString('b');
    expect(mixHash(a, b)).to.not.deep.equal(mixHash(b, a));
  });
});
