import { expect } from 'chai';
import fc from 'fast-check';
import { CounterSync } from '../../src/agent/metrics/counter-sync.js';
import { digestNumber } from '../../src/agent/metrics/digest-number.js';

describe('CounterSync', () => {
  it('adds what is new, and everything after a reset', () => {
    const s = new CounterSync();
    expect([
      s.delta('a', 5),
      s.delta('a', 5),
      s.delta('a', 9),
      s.delta('a', 2),
      s.delta('a', 3),
    ]).to.deep.equal([5, 0, 4, 2, 1]);
    expect(s.delta('b', 1)).to.equal(1); // keys are independent
  });

  it('property: the running total never decreases and equals the source when it never resets', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1_000 }), { maxLength: 30 }), (increments) => {
        const s = new CounterSync();
        let source = 0;
        let total = 0;
        for (const inc of increments) {
          source += inc;
          const d = s.delta('k', source);
          expect(d).to.be.at.least(0);
          total += d;
        }
        expect(total).to.equal(source);
      }),
    );
  });
});

describe('digestNumber', () => {
  it('maps "hi:lo" digests to hi · 2^16 + (lo >>> 16), exactly', () => {
    expect(digestNumber('0:0')).to.equal(0);
    expect(digestNumber('0:65535')).to.equal(0);
    expect(digestNumber('0:65536')).to.equal(1);
    expect(digestNumber('2:131072')).to.equal(2 * 65_536 + 2);
    expect(digestNumber('4294967295:4294967295')).to.equal(2 ** 48 - 1);
  });

  it('maps other strings deterministically into 48 bits', () => {
    const a = digestNumber('abc');
    expect(a).to.equal(digestNumber('abc'));
    expect(a).to.not.equal(digestNumber('abd'));
    expect(Number.isSafeInteger(a) && a >= 0 && a < 2 ** 48).to.equal(true);
  });
});
