import { expect } from 'chai';
import fc from 'fast-check';
import { EventDedupe } from '../../src/agent/state/event-dedupe.js';

describe('EventDedupe', () => {
  it('delivers each (origin, generation, seq) once, in any order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.integer({ min: 1, max: 40 })), { maxLength: 200 }),
        (events) => {
          const d = new EventDedupe({ forgetAfterMs: 1e9, maxOrigins: 10 });
          // Seq 0 first so every later seq counts as new (the first seq sets the floor).
          d.firstTime('a', 1, 0, 0);
          d.firstTime('b', 1, 0, 0);
          const delivered = new Set<string>();
          for (const [o, seq] of events) {
            const first = d.firstTime(o, 1, seq, 1);
            expect(first).to.equal(!delivered.has(`${o}/${seq}`));
            delivered.add(`${o}/${seq}`);
          }
        },
      ),
    );
  });

  it('delivers earlier events of an origin that arrive after a later one', () => {
    const d = new EventDedupe({ forgetAfterMs: 1_000, maxOrigins: 10 });
    expect(d.firstTime('o', 1, 5, 0)).to.equal(true);
    expect(d.firstTime('o', 1, 4, 0)).to.equal(true);
    expect(d.firstTime('o', 1, 4, 0)).to.equal(false);
    for (const seq of [1, 2, 3]) expect(d.firstTime('o', 1, seq, 0), `seq ${seq}`).to.equal(true);
    expect(d.firstTime('o', 1, 5, 0)).to.equal(false);
  });

  it('a new generation resets the window; an older generation is stale', () => {
    const d = new EventDedupe({ forgetAfterMs: 1e9, maxOrigins: 10 });
    expect(d.firstTime('a', 1, 5, 0)).to.equal(true);
    expect(d.firstTime('a', 1, 5, 0)).to.equal(false);
    expect(d.firstTime('a', 2, 5, 0)).to.equal(true);
    expect(d.firstTime('a', 1, 6, 0)).to.equal(false);
    expect(d.firstTime('a', 2, 6, 0)).to.equal(true);
  });

  it('bounds the seqs kept above a gap by giving up on the gap', () => {
    const d = new EventDedupe({ forgetAfterMs: 1e9, maxOrigins: 10, maxPendingPerOrigin: 4 });
    d.firstTime('a', 1, 0, 0);
    for (const seq of [2, 3, 4, 5]) expect(d.firstTime('a', 1, seq, 0)).to.equal(true);
    // A fifth pending seq overflows: the gap at 1 is abandoned.
    expect(d.firstTime('a', 1, 7, 0)).to.equal(true);
    expect(d.firstTime('a', 1, 1, 0)).to.equal(false);
    expect(d.firstTime('a', 1, 6, 0)).to.equal(true);
    expect(d.firstTime('a', 1, 7, 0)).to.equal(false);
    expect(d.dropped).to.deep.equal({ evictedOrigins: 0, skippedGaps: 1 });
  });

  it('forgets idle origins (re-delivering their events) and caps the origins tracked', () => {
    const d = new EventDedupe({ forgetAfterMs: 100, maxOrigins: 3 });
    expect(d.firstTime('a', 1, 1, 0)).to.equal(true);
    expect(d.firstTime('a', 1, 1, 100)).to.equal(false);
    expect(d.firstTime('b', 1, 1, 150)).to.equal(true);
    // 'a' last seen at 100, now 201: forgotten, so its old event is delivered again (documented).
    expect(d.firstTime('a', 1, 1, 201)).to.equal(true);
    d.firstTime('c', 1, 1, 202);
    d.firstTime('d', 1, 1, 203);
    expect(d.trackedOrigins).to.equal(3);
    expect(d.dropped.evictedOrigins).to.equal(1);
    // 'b' was least recently seen and got evicted; 'a' is still known.
    expect(d.firstTime('a', 1, 1, 204)).to.equal(false);
    expect(d.firstTime('b', 1, 1, 204)).to.equal(true);
  });
});
