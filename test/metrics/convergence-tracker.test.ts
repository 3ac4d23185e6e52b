import { expect } from 'chai';
import fc from 'fast-check';
import { ConvergenceTracker, type MembershipChange } from '../../src/agent/metrics/convergence-tracker.js';

function change(originTime: number | null): MembershipChange {
  return {
    type: 'member',
    member: { name: 'n1', addr: 'n1:7946', generation: 1, incarnation: 0, state: 'suspect', tags: {} },
    previous: 'alive',
    via: originTime === null ? 'anti-entropy' : 'rumor',
    rumor: originTime === null ? null : { origin: 'n2', originTime, hops: 1 },
  };
}

describe('ConvergenceTracker', () => {
  it('ends a burst only after quietMs without changes, measuring origin → last change', () => {
    const t = new ConvergenceTracker({ quietMs: 1_000 });
    expect(t.change(change(90), 'd1', 100)).to.equal(null);
    expect(t.change(change(null), 'd2', 400)).to.equal(null);
    expect(t.poll('d2', 1_399)).to.equal(null);
    expect(t.open).to.equal(true);
    expect(t.poll('d2', 1_400)).to.equal(310); // 400 − 90
    expect(t.open).to.equal(false);
    expect(t.poll('d2', 9_000)).to.equal(null);
  });

  it('keeps a burst open while the digest still moves', () => {
    const t = new ConvergenceTracker({ quietMs: 1_000 });
    t.change(change(0), 'd1', 10);
    expect(t.poll('d2', 900)).to.equal(null); // e.g. a reaping changed the view
    expect(t.poll('d2', 1_500)).to.equal(null);
    expect(t.poll('d2', 1_900)).to.equal(10);
  });

  it('starts at local time without a rumor, and earlier when a later change brings an older origin', () => {
    const t = new ConvergenceTracker({ quietMs: 500 });
    t.change(change(null), 'd1', 1_000);
    t.change(change(700), 'd2', 1_200);
    expect(t.poll('d2', 1_700)).to.equal(500);
    t.change(change(null), 'd3', 5_000);
    t.change(change(5_100), 'd4', 5_300); // originated after our first change: start stays
    expect(t.poll('d4', 6_000)).to.equal(300);
  });

  it('closes a quiet burst when the next change arrives before any poll', () => {
    const t = new ConvergenceTracker({ quietMs: 1_000 });
    t.change(change(null), 'd1', 0);
    t.change(change(null), 'd2', 200);
    expect(t.change(change(null), 'd3', 5_000)).to.equal(200);
    expect(t.open).to.equal(true);
  });

  it('ignores an origin stamp in our future (clock skew): the burst starts at the local change (issue 8)', () => {
    const t = new ConvergenceTracker({ quietMs: 500 });
    t.change(change(9_000), 'd1', 1_000);
    t.change(change(null), 'd2', 1_250);
    expect(t.poll('d2', 1_800)).to.equal(250);
  });

  it('a future origin does not replace a local start, a later honest origin still does', () => {
    const t = new ConvergenceTracker({ quietMs: 500 });
    t.change(change(null), 'd1', 1_000);
    t.change(change(5_000), 'd2', 1_050); // origin clock ahead: not a start
    t.change(change(900), 'd3', 1_100);
    expect(t.poll('d3', 1_700)).to.equal(200);
  });

  it('rejects a negative quiet period', () => {
    expect(() => new ConvergenceTracker({ quietMs: -1 })).to.throw(RangeError, /quietMs/);
  });

  it('property: each generated burst is observed exactly once, ≥ 0, after its quiet period', () => {
    const quietMs = 1_000;
    const step = fc.record({
      gap: fc.integer({ min: 0, max: quietMs - 1 }),
      // Origin stamp relative to arrival: mostly in the past, sometimes ahead (skew), sometimes none.
      originOffset: fc.option(fc.integer({ min: -300, max: 5_000 }), { nil: null }),
      // Polls between this change and the next one: offset (< gap) and whether the digest moved.
      polls: fc.array(fc.tuple(fc.integer({ min: 0, max: quietMs - 1 }), fc.boolean()), { maxLength: 3 }),
    });
    const burst = fc.record({
      pause: fc.integer({ min: quietMs, max: 5 * quietMs }),
      // Polls during the pause before this burst, with the settled digest.
      pausePolls: fc.array(fc.integer({ min: 0, max: 5 * quietMs }), { maxLength: 3 }),
      steps: fc.array(step, { minLength: 1, maxLength: 6 }),
    });
    fc.assert(
      fc.property(fc.array(burst, { minLength: 1, maxLength: 6 }), (bursts) => {
        const t = new ConvergenceTracker({ quietMs });
        const seen: Array<{ value: number; at: number }> = [];
        const record = (v: number | null, at: number) => {
          if (v !== null) seen.push({ value: v, at });
        };
        const expected: Array<{ value: number; notBefore: number }> = [];
        let now = 0;
        let digest = 'd0';
        let digestSeq = 0;
        let lastActivity = Number.NEGATIVE_INFINITY;
        for (const b of bursts) {
          // Quiet pause: polls that see the settled digest.
          const pauseEnd = lastActivity === Number.NEGATIVE_INFINITY ? now : lastActivity + b.pause;
          for (const p of [...b.pausePolls].sort((x, y) => x - y)) {
            const at = Math.min(Math.max(now, lastActivity + p), pauseEnd);
            record(t.poll(digest, at), at);
            now = at;
          }
          now = Math.max(now, pauseEnd);
          let start: number | null = null;
          let fromRumor = false;
          const times: number[] = [];
          for (const [i, st] of b.steps.entries()) times.push(i === 0 ? now : times[i - 1]! + st.gap);
          for (const [i, st] of b.steps.entries()) {
            now = times[i]!;
            // An origin ahead of the local clock (negative offset) is ignored, like no stamp.
            const origin = st.originOffset === null || st.originOffset < 0 ? null : now - st.originOffset;
            if (start === null) {
              start = origin ?? now;
              fromRumor = origin !== null;
            } else if (!fromRumor && origin !== null) {
              start = Math.min(start, origin);
              fromRumor = true;
            }
            digest = `d${++digestSeq}`;
            record(t.change(change(origin), digest, now), now);
            lastActivity = now;
            // Polls before the next change, each within quietMs of the last activity.
            const next = times[i + 1] ?? Number.POSITIVE_INFINITY;
            for (const [offset, moved] of [...st.polls].sort((x, y) => x[0] - y[0])) {
              const at = times[i]! + offset;
              if (at >= next || at - lastActivity >= quietMs) continue;
              if (moved) {
                digest = `d${++digestSeq}`;
                lastActivity = at;
              }
              record(t.poll(digest, at), at);
              now = at;
            }
          }
          const lastChange = times[times.length - 1]!;
          expected.push({
            value: Math.max(0, lastChange - (start ?? lastChange)),
            notBefore: lastActivity + quietMs,
          });
        }
        const end = lastActivity + quietMs;
        record(t.poll(digest, end), end);
        expect(t.open).to.equal(false);
        expect(seen.map((s) => s.value)).to.deep.equal(expected.map((e) => e.value));
        for (const [i, s] of seen.entries()) {
          expect(s.value).to.be.at.least(0);
          expect(s.at).to.be.at.least(expected[i]!.notBefore);
        }
      }),
      { numRuns: 300 },
    );
  });
});
