// JoinWatch on a manual timer: only failures from every contacted seed make a join fail; a slow
// seed is waited for (said once); with retry the verdict is "retrying", said once.
import { expect } from 'chai';
import { JoinWatch, type JoinWatchOptions } from '../../src/agent/discovery/join-watch.js';

function manual(over: Partial<JoinWatchOptions> = {}) {
  const timers: Array<() => void> = [];
  const said: string[] = [];
  let joined = false;
  const w = new JoinWatch({
    contacts: 2,
    joined: () => joined,
    retry: false,
    slowAfterMs: 300,
    pollMs: 100,
    onJoined: () => said.push('joined'),
    onUnreachable: (r) => said.push(`unreachable ${r.join('; ')}`),
    onSlow: () => said.push('slow'),
    setTimer: (fn) => {
      timers.push(fn);
      return {};
    },
    clearTimer: () => {},
    ...over,
  });
  const tick = (n = 1) => {
    for (let i = 0; i < n; i++) timers.shift()?.();
  };
  return { w, said, tick, join: () => (joined = true) };
}

describe('JoinWatch', () => {
  it('waits for a slow seed (says so once) and reports the join', () => {
    const m = manual();
    m.w.start();
    m.tick(10);
    expect(m.said).to.deep.equal(['slow']);
    m.join();
    m.tick(5);
    expect(m.said).to.deep.equal(['slow', 'joined']);
    expect(m.w.state).to.equal('joined');
  });

  it('fails once every contacted seed failed, with one reason per seed', () => {
    const m = manual();
    m.w.start();
    expect(m.w.noteFailure('a:1', 'connection refused')).to.equal(true);
    expect(m.said).to.deep.equal([]);
    m.w.noteFailure('a:1', 'connection refused'); // the same seed again is still one
    expect(m.said).to.deep.equal([]);
    m.w.noteFailure('b:2', 'host unreachable');
    expect(m.said).to.deep.equal(['unreachable a:1: connection refused; b:2: host unreachable']);
    expect(m.w.state).to.equal('failed');
    expect(m.w.noteFailure('b:2', 'again')).to.equal(false);
  });

  it('with retry: says once that it retries, swallows repeats, then reports the join', () => {
    const m = manual({ retry: true, contacts: 1 });
    m.w.start();
    m.w.noteFailure('a:1', 'connection refused');
    for (let i = 0; i < 5; i++) expect(m.w.noteFailure('a:1', 'connection refused')).to.equal(true);
    m.tick(10);
    expect(m.said).to.deep.equal(['unreachable a:1: connection refused']);
    m.join();
    m.tick();
    expect(m.said).to.deep.equal(['unreachable a:1: connection refused', 'joined']);
    expect(m.w.noteFailure('a:1', 'later')).to.equal(false);
  });
});
