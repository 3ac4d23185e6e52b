import { expect } from 'chai';
import fc from 'fast-check';
import { compareMemberVersion, newerMember } from '../../src/agent/state/member-merge.js';
import type { MemberRecord } from '../../src/agent/wire/messages.js';

// Small value ranges so equal versions with different contents (the adversarial case) are common.
const recordArb: fc.Arbitrary<MemberRecord> = fc.record({
  name: fc.constant('n1'),
  addr: fc.constantFrom('10.0.0.1:1', '10.0.0.2:1'),
  generation: fc.integer({ min: 1, max: 3 }),
  incarnation: fc.integer({ min: 0, max: 2 }),
  state: fc.constantFrom('alive', 'suspect', 'dead', 'left' as const),
  tags: fc.dictionary(fc.constantFrom('a', 'b'), fc.constantFrom('x', 'y'), { maxKeys: 2 }),
});

describe('member-merge', () => {
  it('orders by generation, then incarnation, then state rank', () => {
    const r = (generation: number, incarnation: number, state: MemberRecord['state']): MemberRecord => ({
      name: 'n',
      addr: 'a:1',
      generation,
      incarnation,
      state,
      tags: {},
    });
    expect(compareMemberVersion(r(2, 0, 'alive'), r(1, 9, 'left'))).to.be.above(0);
    expect(compareMemberVersion(r(1, 1, 'alive'), r(1, 0, 'dead'))).to.be.above(0);
    expect(compareMemberVersion(r(1, 1, 'suspect'), r(1, 1, 'alive'))).to.be.above(0);
    expect(compareMemberVersion(r(1, 1, 'left'), r(1, 1, 'dead'))).to.be.above(0);
    expect(compareMemberVersion(r(1, 1, 'dead'), r(1, 1, 'dead'))).to.equal(0);
    expect(newerMember(r(1, 1, 'alive'), r(1, 1, 'suspect')).state).to.equal('suspect');
  });

  it('the join is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(recordArb, recordArb, recordArb, (a, b, c) => {
        expect(newerMember(a, b)).to.deep.equal(newerMember(b, a));
        expect(newerMember(newerMember(a, b), c)).to.deep.equal(newerMember(a, newerMember(b, c)));
        expect(newerMember(a, a)).to.equal(a);
        const j = newerMember(a, b);
        expect(j === a || j === b).to.equal(true);
        expect(compareMemberVersion(j, a)).to.be.at.least(0);
        expect(compareMemberVersion(j, b)).to.be.at.least(0);
      }),
      { numRuns: 500 },
    );
  });
});
