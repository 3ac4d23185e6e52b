import { expect } from 'chai';
import { LocalHealth } from '../../src/agent/core/local-health.js';
import { MemberTable } from '../../src/agent/core/member-table.js';
import { ProbeOrder } from '../../src/agent/core/probe-order.js';
import { Suspicion, suspicionTimeoutMs, suspicionTimeouts } from '../../src/agent/core/suspicion.js';
import { SharedMemberTable, shareMembers } from '../../src/agent/sim/shared-member-table.js';
import type { MemberRecord } from '../../src/agent/wire/messages.js';
import { lcg } from './fakes.js';

const rec = (name: string, state: MemberRecord['state'] = 'alive'): MemberRecord => ({
  name,
  addr: `${name}:1`,
  generation: 1,
  incarnation: 0,
  state,
  tags: {},
});

describe('suspicion timeouts (Lifeguard)', () => {
  it('follows memberlist: min = mult·log10(n)·interval, max = maxMult·min', () => {
    const t = suspicionTimeouts(1000, 1000, 4, 6, 2);
    expect(t.minMs).to.equal(12_000);
    expect(t.maxMs).to.equal(72_000);
    expect(t.expected).to.equal(2);
  });
  it('expects no confirmations when fewer than K members could confirm (memberlist), so small clusters use min', () => {
    for (const n of [1, 2, 3]) {
      const t = suspicionTimeouts(n, 1000, 4, 6, 2);
      expect(t.expected, `n=${n}`).to.equal(0);
      expect(suspicionTimeoutMs(t, 0), `n=${n}`).to.equal(t.minMs);
    }
    expect(suspicionTimeouts(4, 1000, 4, 6, 2).expected).to.equal(2);
  });
  it('a short minimum keeps dynamic suspicion: mult 2 with K = 2 still starts at max (memberlist would expect mult − 2 = 0)', () => {
    const t = suspicionTimeouts(30, 1000, 2, 6, 2);
    expect(t.minMs).to.be.closeTo(2 * Math.log10(30) * 1000, 1e-6);
    expect(t.expected).to.equal(2);
    expect(suspicionTimeoutMs(t, 0)).to.equal(Math.floor(t.maxMs));
    expect(suspicionTimeoutMs(t, 2)).to.equal(t.minMs);
    expect(suspicionTimeoutMs(suspicionTimeouts(30, 1000, 2, 6, 0), 0), 'K = 0: always min').to.equal(
      t.minMs,
    );
  });
  it('starts at max and shrinks to min as confirmations arrive', () => {
    const t = suspicionTimeouts(100, 1000, 4, 6, 2);
    const d0 = suspicionTimeoutMs(t, 0);
    const d1 = suspicionTimeoutMs(t, 1);
    const d2 = suspicionTimeoutMs(t, 2);
    expect(d0).to.equal(t.maxMs);
    expect(d1).to.be.lessThan(d0).and.greaterThan(d2);
    expect(d2).to.equal(t.minMs);
    expect(suspicionTimeoutMs(t, 10)).to.equal(t.minMs);
  });
  it('counts each confirmer once', () => {
    const t = suspicionTimeouts(100, 1000, 4, 6, 2);
    const s = new Suspicion(0, 1, 0, t, 'a');
    expect(s.deadline).to.equal(t.maxMs);
    expect(s.confirm('a')).to.equal(false);
    expect(s.confirm('b')).to.equal(true);
    expect(s.confirm('b')).to.equal(false);
    expect(s.deadline).to.be.lessThan(t.maxMs);
  });
});

describe('local health', () => {
  it('scales timing by score+1 and stays within [0, max-1]', () => {
    const h = new LocalHealth(8);
    h.apply(-3);
    expect(h.score).to.equal(0);
    h.apply(3);
    expect(h.scale(500)).to.equal(2000);
    h.apply(100);
    expect(h.score).to.equal(7);
  });
});

describe('probe order', () => {
  it('visits every slot exactly once per pass', () => {
    const o = new ProbeOrder(lcg(7));
    for (const n of [1, 2, 7, 64, 1000]) {
      const seen = new Set<number>();
      for (let i = 0; i < n; i++) seen.add(o.next(n));
      expect(seen.size).to.equal(n);
    }
  });
  it('changes order between passes', () => {
    const o = new ProbeOrder(lcg(3));
    const pass = () => Array.from({ length: 50 }, () => o.next(50)).join(',');
    const passes = new Set([pass(), pass(), pass(), pass()]);
    expect(passes.size).to.be.greaterThan(1);
  });
});

describe('member table', () => {
  it("(the simulator's SharedMemberTable) shares a base and keeps local changes private", () => {
    const base = shareMembers([rec('a'), rec('b'), rec('c')]);
    const t1 = new SharedMemberTable(base);
    const t2 = new SharedMemberTable(base);
    t1.set({ record: rec('b', 'dead'), changedAt: 5 });
    t1.delete('c');
    t1.set({ record: rec('d'), changedAt: 5 });
    expect(t1.get('b')!.record.state).to.equal('dead');
    expect(t2.get('b')!.record.state).to.equal('alive');
    expect(t1.get('c')).to.equal(undefined);
    expect(t2.get('c')).to.not.equal(undefined);
    expect(t1.size).to.equal(3);
    expect(t1.counts).to.deep.equal({ alive: 2, suspect: 0, dead: 1, left: 0 });
    expect([...t1.entries()].map((e) => e.record.name).sort()).to.deep.equal(['a', 'b', 'd']);
  });
  it('removes members added locally and keeps slots consistent', () => {
    const t = new MemberTable();
    for (const n of ['a', 'b', 'c', 'd']) t.set({ record: rec(n), changedAt: 0 });
    t.delete('b');
    expect([...t.entries()].map((e) => e.record.name).sort()).to.deep.equal(['a', 'c', 'd']);
    expect(t.slotCount).to.equal(3);
  });
  it('samples distinct members that pass the filter', () => {
    const t = new MemberTable();
    for (let i = 0; i < 200; i++) t.set({ record: rec(`n${i}`, i % 2 ? 'dead' : 'alive'), changedAt: 0 });
    const rng = lcg(1);
    for (let round = 0; round < 20; round++) {
      const s = t.sample(5, rng, (e) => e.record.state === 'alive');
      expect(new Set(s.map((e) => e.record.name)).size).to.equal(5);
      for (const e of s) expect(e.record.state).to.equal('alive');
    }
    expect(t.sample(10, rng, (e) => e.record.name === 'n4')).to.have.length(1);
  });
});
