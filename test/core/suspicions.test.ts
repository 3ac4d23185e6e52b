// Suspicions on their own: start, confirm, expire, clear, and the deadlines handed to the heap.
import { expect } from 'chai';
import { suspicionTimeouts } from '../../src/agent/core/suspicion.js';
import { Suspicions } from '../../src/agent/core/suspicions.js';
import { member, T0 } from './fakes.js';

describe('Suspicions (unit)', () => {
  const timeouts = suspicionTimeouts(100, 1_000, 4, 6, 2);

  function fixture() {
    const scheduled: Array<[number, string]> = [];
    const s = new Suspicions((at, name) => scheduled.push([at, name]));
    return { s, scheduled };
  }

  it('starts at the maximum timeout and schedules that deadline', () => {
    const { s, scheduled } = fixture();
    s.start(member('n1', { state: 'suspect' }), 'n2', timeouts, T0);
    expect(s.size).to.equal(1);
    expect(scheduled).to.deep.equal([[T0 + timeouts.maxMs, 'n1']]);
  });

  it('confirmations from distinct members shorten the deadline down to the minimum; repeats do not', () => {
    const { s, scheduled } = fixture();
    s.start(member('n1', { state: 'suspect' }), 'n2', timeouts, T0);
    expect(s.confirm('n1', 'n2'), 'the first suspector is no confirmation').to.equal(false);
    expect(s.confirm('n1', 'n3')).to.equal(true);
    expect(s.confirm('n1', 'n3')).to.equal(false);
    expect(scheduled).to.have.length(2);
    expect(scheduled[1]![0]).to.be.below(scheduled[0]![0]);
    for (let i = 4; i < 4 + timeouts.expected; i++) s.confirm('n1', `n${i}`);
    expect(scheduled.at(-1)![0]).to.equal(T0 + timeouts.minMs);
    expect(s.confirm('n8', 'n3'), 'no suspicion of n8').to.equal(false);
  });

  it('expires only at its (latest) deadline, once, carrying the suspected version', () => {
    const { s, scheduled } = fixture();
    s.start(member('n1', { state: 'suspect', incarnation: 7 }), 'n2', timeouts, T0);
    s.confirm('n1', 'n3');
    const deadline = scheduled.at(-1)![0];
    // The first, longer timer also fires later; by then the suspicion is closed.
    expect(s.expired('n1', deadline - 1)).to.equal(undefined);
    const done = s.expired('n1', deadline);
    expect(done?.incarnation).to.equal(7);
    expect(s.size).to.equal(0);
    expect(s.expired('n1', T0 + timeouts.maxMs)).to.equal(undefined);
  });

  it('a cleared suspicion never expires', () => {
    const { s } = fixture();
    s.start(member('n1', { state: 'suspect' }), 'n2', timeouts, T0);
    s.clear('n1');
    expect(s.expired('n1', T0 + timeouts.maxMs)).to.equal(undefined);
    expect(s.size).to.equal(0);
  });
});
