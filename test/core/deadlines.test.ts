import { expect } from 'chai';
import fc from 'fast-check';
import { Deadlines, type Timer } from '../../src/agent/core/deadlines.js';
import { suspicionTimeouts } from '../../src/agent/core/suspicion.js';
import { Suspicions } from '../../src/agent/core/suspicions.js';
import type { MemberRecord } from '../../src/agent/wire/messages.js';

describe('Deadlines (one timer heap)', () => {
  it('pops due timers in (time, scheduling order), and reports the earliest in O(1)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 200 }),
        fc.integer({ min: 0, max: 60 }),
        (ats, now) => {
          const d = new Deadlines();
          for (const [i, at] of ats.entries()) d.schedule(at, { kind: 'mail', key: String(i) });
          const sorted = ats.map((at, i) => ({ at, i })).sort((a, b) => a.at - b.at || a.i - b.i);
          expect(d.next()).to.equal(sorted[0]?.at ?? Number.POSITIVE_INFINITY);
          const got: string[] = [];
          for (let t = d.popDue(now); t; t = d.popDue(now))
            got.push((t as Extract<Timer, { kind: 'mail' }>).key);
          expect(got).to.deep.equal(sorted.filter((x) => x.at <= now).map((x) => String(x.i)));
          expect(d.size).to.equal(sorted.filter((x) => x.at > now).length);
        },
      ),
    );
  });
});

describe('Deadlines.dropStale (lazy cancellation)', () => {
  it('drops stale timers from the top up to the first live one, and keeps the rest for later', () => {
    const d = new Deadlines();
    for (const [at, key] of [
      [10, 'acked'],
      [20, 'acked-too'],
      [30, 'pending'],
      [40, 'acked-later'],
    ] as const)
      d.schedule(at, { kind: 'mail', key });
    const stale = new Set(['acked', 'acked-too', 'acked-later']);
    const seen: string[] = [];
    d.dropStale((t, at) => {
      const key = (t as Extract<Timer, { kind: 'mail' }>).key;
      seen.push(`${key}@${at}`);
      return !stale.has(key);
    });
    expect(seen).to.deep.equal(['acked@10', 'acked-too@20', 'pending@30']);
    expect(d.next()).to.equal(30);
    expect(d.size).to.equal(2);
    // Once the live one has fired, the stale one behind it is dropped in turn.
    expect(d.popDue(30)).to.deep.equal({ kind: 'mail', key: 'pending' });
    d.dropStale((t) => !stale.has((t as Extract<Timer, { kind: 'mail' }>).key));
    expect(d.next()).to.equal(Number.POSITIVE_INFINITY);
  });
});

describe('Suspicions', () => {
  const rec: MemberRecord = {
    name: 'x',
    addr: 'x:1',
    generation: 1,
    incarnation: 0,
    state: 'suspect',
    tags: {},
  };

  it('hands each new or shortened deadline to the timer heap and expires only when due', () => {
    const scheduled: Array<[number, string]> = [];
    const s = new Suspicions((at, name) => scheduled.push([at, name]));
    const t = suspicionTimeouts(100, 1000, 4, 6, 2);
    s.start(rec, 'a', t, 0);
    expect(scheduled).to.deep.equal([[t.maxMs, 'x']]);
    expect(s.confirm('x', 'a')).to.equal(false);
    expect(s.confirm('x', 'b')).to.equal(true);
    const shortened = scheduled[1]![0];
    expect(shortened).to.be.lessThan(t.maxMs);
    // The first (stale) timer fires later than the shortened one: the suspicion is already gone.
    expect(s.expired('x', shortened - 1)).to.equal(undefined);
    expect(s.expired('x', shortened)?.incarnation).to.equal(0);
    expect(s.expired('x', t.maxMs)).to.equal(undefined);
    expect(s.size).to.equal(0);
  });

  it('a cleared (refuted) suspicion never expires', () => {
    const s = new Suspicions(() => {});
    s.start(rec, 'a', suspicionTimeouts(3, 1000, 4, 6, 2), 0);
    s.clear('x');
    expect(s.expired('x', 1e12)).to.equal(undefined);
  });
});
