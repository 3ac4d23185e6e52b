import { expect } from 'chai';
import fc from 'fast-check';
import { createRng, cryptoSeed } from '../../src/agent/runtime/rng.js';

describe('runtime/rng', () => {
  it('is deterministic per seed and differs between nearby seeds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (seed) => {
        const a = createRng(seed);
        const b = createRng(seed);
        const c = createRng((seed + 1) >>> 0);
        const sa = Array.from({ length: 20 }, () => a.next());
        const sb = Array.from({ length: 20 }, () => b.next());
        const sc = Array.from({ length: 20 }, () => c.next());
        expect(sa).to.deep.equal(sb);
        expect(sa).to.not.deep.equal(sc);
      }),
      { numRuns: 200 },
    );
  });

  it('pins the sequence of seed 1 so the simulator stays reproducible across versions', () => {
    const r = createRng(1);
    const first = Array.from({ length: 4 }, () => r.nextUint32());
    const again = createRng(1);
    expect(Array.from({ length: 4 }, () => again.nextUint32())).to.deep.equal(first);
    // Recorded from this implementation; a change here changes every seeded simulation.
    expect(first).to.deep.equal(PINNED_SEED_1);
  });

  it('next() stays in [0, 1) and is roughly uniform (chi-square over 20 buckets)', () => {
    const r = createRng(12345);
    const n = 200_000;
    const buckets = new Array<number>(20).fill(0);
    for (let i = 0; i < n; i++) {
      const x = r.next();
      if (!(x >= 0 && x < 1)) throw new Error(`out of range: ${x}`);
      buckets[Math.floor(x * 20)]!++;
    }
    const expected = n / 20;
    const chi2 = buckets.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    // 19 degrees of freedom: p = 0.001 critical value is 43.8.
    expect(chi2).to.be.lessThan(43.8);
  });

  it('int(n) covers [0, n) evenly and rejects non-positive or fractional n', () => {
    const r = createRng(7);
    const counts = new Array<number>(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[r.int(7)]!++;
    for (const c of counts) expect(c).to.be.within(9_500, 10_500);
    expect(r.int(1)).to.equal(0);
    expect(() => r.int(0)).to.throw(RangeError);
    expect(() => r.int(2.5)).to.throw(RangeError);
    expect(() => r.int(Number.NaN)).to.throw(RangeError);
  });

  it('successive outputs are not correlated (lag-1 serial correlation near 0)', () => {
    const r = createRng(99);
    const n = 100_000;
    let prev = r.next();
    let sxy = 0;
    let sx = 0;
    let sxx = 0;
    for (let i = 0; i < n; i++) {
      const x = r.next();
      sxy += prev * x;
      sx += x;
      sxx += x * x;
      prev = x;
    }
    const mean = sx / n;
    const corr = (sxy / n - mean * mean) / (sxx / n - mean * mean);
    expect(Math.abs(corr)).to.be.lessThan(0.02);
  });

  it('is fast: ten million draws in well under a second', () => {
    const r = createRng(3);
    let acc = 0;
    const start = performance.now();
    for (let i = 0; i < 10_000_000; i++) acc += r.next();
    const ms = performance.now() - start;
    expect(acc / 10_000_000).to.be.within(0.49, 0.51);
    expect(ms).to.be.lessThan(1500);
  });

  it('cryptoSeed gives varied 32-bit seeds', () => {
    const seeds = new Set(Array.from({ length: 50 }, () => cryptoSeed()));
    expect(seeds.size).to.be.greaterThan(45);
    for (const s of seeds) expect(Number.isInteger(s) && s >= 0 && s <= 0xffffffff).to.equal(true);
  });
});

const PINNED_SEED_1 = [792534090, 3215351813, 160231488, 1151041103];
