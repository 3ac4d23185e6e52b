// A member that closes the TCP connection we hold to it is probed soon, out of turn (issue 12): a
// killed process's kernel closes its sockets, so the survivors that had a pooled connection to it
// learn within milliseconds that something happened, long before the round-robin order reaches it.
// The hint only brings a probe forward: it never cuts an open probe short, never raises the rate
// above two probes per interval, and says nothing about the member's state by itself.
import { expect } from 'chai';
import { resolveEngineConfig } from '../../src/agent/config/engine-schema.js';
import type { MemberState } from '../../src/agent/wire/messages.js';
import { addrOf, member, proberFixture } from './fakes.js';

const config = resolveEngineConfig({ probeIntervalMs: 1000, probeTimeoutMs: 500 });
const INTERVAL = config.probeIntervalMs;

/** Prober n0 among `n` peers (n1…), its pings read back with their times; time driven by the test. */
function proberAmong(n: number, states: Record<string, MemberState> = {}) {
  const names = ['n0', ...Array.from({ length: n }, (_, i) => `n${i + 1}`)];
  const f = proberFixture(
    config,
    'n0',
    names.map((name) => member(name, { state: states[name] ?? 'alive' })),
  );
  const pings = () =>
    f.sent.flatMap((s) =>
      s.m.flatMap((x) => (x.t === 'ping' && !s.stream ? [{ at: s.at, target: x.target, seq: x.seq }] : [])),
    );
  /** Runs until the next probe starts and returns it. */
  const nextPing = () => {
    const before = pings().length;
    while (pings().length === before) f.runTo(f.prober.nextDeadline());
    return pings()[before]!;
  };
  /** The first probe, answered at once: no probe is open after it. */
  const firstAcked = () => {
    const first = nextPing();
    f.prober.onAck(first.seq, first.at + 5);
    return first;
  };
  return { ...f, nextPing, firstAcked };
}

describe('Prober.probeSoon: a member that closed our connection is probed out of turn', () => {
  it('probes it at once when no probe is open, ahead of the round-robin order', () => {
    const p = proberAmong(20);
    const first = p.firstAcked();
    // Well past half an interval after that probe started, and before the next one is due.
    const now = p.runTo(first.at + 700);
    expect(p.prober.probeSoon(addrOf('n7'), now)).to.equal(true);
    expect(p.prober.nextDeadline()).to.equal(now);
    expect(p.nextPing()).to.include({ at: now, target: 'n7' });
    expect(p.stats.probesBroughtForward).to.equal(1);
    // The regular schedule goes on one interval after the early probe.
    expect(p.nextPing().at).to.equal(now + INTERVAL);
  });

  it('waits until half an interval after the last probe started: at most two probes per interval', () => {
    const p = proberAmong(20);
    const first = p.firstAcked();
    const now = p.runTo(first.at + 100);
    expect(p.prober.probeSoon(addrOf('n3'), now)).to.equal(true);
    expect(p.nextPing()).to.include({ at: first.at + INTERVAL / 2, target: 'n3' });
  });

  it('never cuts an open probe short: the hinted probe starts when the open one ends', () => {
    const p = proberAmong(20);
    const first = p.nextPing(); // never acked: it runs its whole period, then fails
    const now = p.runTo(first.at + 600);
    const target = first.target === 'n5' ? 'n6' : 'n5';
    expect(p.prober.probeSoon(addrOf(target), now)).to.equal(true);
    const ping = p.nextPing();
    expect(ping).to.include({ at: first.at + INTERVAL, target });
    expect(p.failed).to.deep.equal([{ at: first.at + INTERVAL, target: first.target }]);
  });

  it('ignores addresses of no live member, of itself, and the member already being probed', () => {
    const p = proberAmong(5, { n2: 'dead', n3: 'left' });
    const first = p.nextPing();
    const now = p.runTo(first.at + 700);
    const due = p.prober.nextDeadline();
    for (const addr of [addrOf('n99'), addrOf('n0'), addrOf('n2'), addrOf('n3'), addrOf(first.target)])
      expect(p.prober.probeSoon(addr, now), addr).to.equal(false);
    expect(p.prober.nextDeadline()).to.equal(due);
    expect(p.stats.probesBroughtForward).to.equal(0);
  });

  it('a suspect member is probed too', () => {
    const p = proberAmong(5, { n1: 'suspect' });
    const first = p.firstAcked();
    const now = p.runTo(first.at + 600);
    expect(p.prober.probeSoon(addrOf('n1'), now)).to.equal(true);
    expect(p.nextPing()).to.include({ at: now, target: 'n1' });
  });

  it('leaves the round-robin order where it was: every member is still probed once per pass', () => {
    const n = 12;
    const p = proberAmong(n);
    const first = p.firstAcked();
    const now = p.runTo(first.at + 600);
    expect(p.prober.probeSoon(addrOf('n1'), now)).to.equal(true);
    const hinted = p.nextPing();
    expect(hinted.target).to.equal('n1');
    // The rest of the pass: n − 1 more regular probes reach every member once.
    const pass = [first.target];
    for (let i = 1; i < n; i++) {
      const ping = p.nextPing();
      p.prober.onAck(ping.seq, ping.at + 5);
      pass.push(ping.target);
    }
    expect(new Set(pass).size).to.equal(n);
  });

  it('one slot: a second hint before the probe starts replaces the first', () => {
    const p = proberAmong(20);
    const first = p.firstAcked();
    const now = p.runTo(first.at + 100);
    expect(p.prober.probeSoon(addrOf('n3'), now)).to.equal(true);
    expect(p.prober.probeSoon(addrOf('n4'), now + 10)).to.equal(true);
    expect(p.nextPing()).to.include({ at: first.at + INTERVAL / 2, target: 'n4' });
    expect(p.stats.probesBroughtForward, 'one probe was brought forward').to.equal(1);
  });

  it('a stopped (leaving) prober ignores hints', () => {
    const p = proberAmong(5);
    p.prober.stop();
    expect(p.prober.probeSoon(addrOf('n1'), 10)).to.equal(false);
    expect(p.prober.nextDeadline()).to.equal(Number.POSITIVE_INFINITY);
  });
});
