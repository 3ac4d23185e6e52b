import { expect } from 'chai';
import fc from 'fast-check';
import { REPLAY_WINDOW, ReplayWindow } from '../../src/agent/wire/replay-window.js';

describe('wire/replay-window', () => {
  it('accepts each seq once, in any order within the window', () => {
    const w = new ReplayWindow();
    for (const seq of [10, 12, 11, 5, 1000]) expect(w.check('a', 1, seq), `seq ${seq}`).to.equal('ok');
    for (const seq of [10, 12, 11, 5, 1000]) expect(w.check('a', 1, seq), `again ${seq}`).to.equal('replay');
    expect(w.check('a', 1, 6)).to.equal('ok');
  });

  it('keeps senders apart', () => {
    const w = new ReplayWindow();
    expect(w.check('a', 1, 1)).to.equal('ok');
    expect(w.check('b', 1, 1)).to.equal('ok');
    expect(w.size).to.equal(2);
  });

  it('treats seqs that fell out of the window as replays', () => {
    const w = new ReplayWindow();
    expect(w.check('a', 1, 0)).to.equal('ok');
    expect(w.check('a', 1, REPLAY_WINDOW - 1)).to.equal('ok');
    expect(w.check('a', 1, 1)).to.equal('ok'); // highest - 1 = 1022 < window
    expect(w.check('a', 1, REPLAY_WINDOW)).to.equal('ok');
    expect(w.check('a', 1, 0)).to.equal('replay'); // now 1024 behind
    expect(w.check('a', 1, 2)).to.equal('ok'); // 1022 behind, unseen
    expect(w.check('a', 1, 1)).to.equal('replay'); // seen
  });

  it('clears reused slots when sliding, so new seqs are not mistaken for old ones', () => {
    const w = new ReplayWindow();
    expect(w.check('a', 1, 5)).to.equal('ok');
    expect(w.check('a', 1, 5 + REPLAY_WINDOW + 3)).to.equal('ok'); // jump past the whole window
    expect(w.check('a', 1, 5 + REPLAY_WINDOW)).to.equal('ok'); // same slot as 5, but unseen
    expect(w.check('a', 1, 5 + 2 * REPLAY_WINDOW)).to.equal('ok'); // partial slide over 5's slot
    expect(w.check('a', 1, 5 + REPLAY_WINDOW + 3)).to.equal('replay');
  });

  it('an older generation is a replay, a newer one resets the window', () => {
    const w = new ReplayWindow();
    expect(w.check('a', 5, 100)).to.equal('ok');
    expect(w.check('a', 4, 101)).to.equal('replay');
    expect(w.check('a', 6, 1)).to.equal('ok');
    expect(w.check('a', 6, 1)).to.equal('replay');
    expect(w.check('a', 6, 100)).to.equal('ok'); // seq 100 of the new generation is new
    expect(w.check('a', 5, 200)).to.equal('replay');
  });

  it('handles seqs beyond 2^32', () => {
    const w = new ReplayWindow();
    const base = 2 ** 40;
    expect(w.check('a', 1, base)).to.equal('ok');
    expect(w.check('a', 1, base - 1)).to.equal('ok');
    expect(w.check('a', 1, base - 1)).to.equal('replay');
    expect(w.check('a', 1, base + 31)).to.equal('ok');
  });

  it('forget() drops a sender entirely', () => {
    const w = new ReplayWindow();
    w.check('a', 1, 1);
    w.forget('a');
    expect(w.size).to.equal(0);
    expect(w.check('a', 1, 1)).to.equal('ok');
  });

  it('matches a set-based model for random sequences (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(2), fc.nat(3000)), { maxLength: 400 }), (ops) => {
        const w = new ReplayWindow();
        let gen = -1;
        let highest = -1;
        let seen = new Set<number>();
        for (const [g, seq] of ops) {
          let expected: 'ok' | 'replay';
          if (g > gen) {
            gen = g;
            highest = seq;
            seen = new Set([seq]);
            expected = 'ok';
          } else if (g < gen || seen.has(seq) || highest - seq >= REPLAY_WINDOW) {
            expected = 'replay';
          } else {
            seen.add(seq);
            highest = Math.max(highest, seq);
            expected = 'ok';
          }
          expect(w.check('n', g, seq)).to.equal(expected);
        }
      }),
      { numRuns: 300 },
    );
  });
});
