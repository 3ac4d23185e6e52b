import { expect } from 'chai';
import fc from 'fast-check';
import { boundRounds, coverageTime, maxRelativeDeviation, round3 } from '../../src/agent/sim/sim-metrics.js';

describe('sim/sim-metrics', () => {
  it('coverageTime picks the ceil(fraction × n)-th earliest time', () => {
    const times = Float64Array.from([5, 1, Number.NaN, 3, 2]);
    expect(coverageTime(times, 0.2)).to.equal(1);
    expect(coverageTime(times, 0.6)).to.equal(3);
    expect(coverageTime(times, 0.8)).to.equal(5);
    expect(coverageTime(times, 1)).to.equal(null); // one node never reached
    const thousand = Float64Array.from({ length: 1000 }, (_, i) => 1000 - i);
    expect(coverageTime(thousand, 0.999)).to.equal(999);
    expect(coverageTime(thousand, 1)).to.equal(1000);
    expect(() => coverageTime(times, 0)).to.throw(RangeError);
  });

  it('coverageTime is monotone in the fraction (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.constant(Number.NaN)), {
          minLength: 1,
        }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        (xs, p, q) => {
          const t = Float64Array.from(xs);
          const [lo, hi] = p <= q ? [p, q] : [q, p];
          const a = coverageTime(t, lo);
          const b = coverageTime(t, hi);
          if (b !== null) expect(a).to.not.equal(null);
          if (a !== null && b !== null) expect(a).to.be.at.most(b);
        },
      ),
    );
  });

  it('boundRounds = log_{f+1} N + ln N / f', () => {
    expect(boundRounds(1, 3)).to.equal(0);
    expect(boundRounds(1000, 3)).to.be.closeTo(Math.log(1000) / Math.log(4) + Math.log(1000) / 3, 1e-12);
    expect(boundRounds(10_000, 3)).to.be.closeTo(9.714, 1e-3);
    expect(boundRounds(10_000, 6)).to.be.lessThan(boundRounds(10_000, 3));
  });

  it('maxRelativeDeviation and round3', () => {
    expect(maxRelativeDeviation([2, 2, 2])).to.equal(0);
    expect(maxRelativeDeviation([1, 3])).to.equal(0.5);
    expect(maxRelativeDeviation([])).to.equal(0);
    expect(round3(1.23456)).to.equal(1.235);
    expect(round3(null)).to.equal(null);
  });
});
