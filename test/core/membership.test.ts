// Membership on its own, through MembershipHost: merging, suspicion and death, refutation, reaping.
import { expect } from 'chai';
import { resolveEngineConfig } from '../../src/agent/config/engine-schema.js';
import { hashMemberRecord, memberKey } from '../../src/agent/state/entry-hash.js';
import { member, membershipFixture, T0 } from './fakes.js';

const rumor = { origin: 'n9', originTime: T0, hops: 2 };

describe('Membership (unit, fake host)', () => {
  it('merges a newer record: table, digest tree, event and rumor all follow', () => {
    const f = membershipFixture('n0', { peers: ['n1'] });
    const newer = member('n1', { incarnation: 3, tags: { zone: 'b' } });
    expect(f.membership.apply(newer, 'n9', 'rumor', rumor, T0 + 1)).to.equal(true);
    expect(f.membership.get('n1')?.record).to.deep.equal(newer);
    expect(f.tree.entryHash(memberKey('n1'))).to.deep.equal(hashMemberRecord(newer));
    expect(f.rec.events).to.deep.equal([
      { type: 'member', member: newer, previous: 'alive', via: 'rumor', rumor },
    ]);
    expect(f.rec.rumors).to.have.length(1);
    expect(f.rec.rumors[0]).to.deep.include({ t: 'member', member: newer, from: 'n9', rumor });
  });

  it('ignores an older record; learns a death of a member it never knew without changing the view', () => {
    const f = membershipFixture('n0', { peers: ['n1'] });
    f.membership.apply(member('n1', { incarnation: 5 }), 'n1', 'rumor', rumor, T0);
    f.rec.events.length = 0;
    f.rec.rumors.length = 0;
    expect(
      f.membership.apply(member('n1', { incarnation: 4, state: 'dead' }), 'n2', 'rumor', rumor, T0),
    ).to.equal(false);
    expect(f.rec.events).to.deep.equal([]);
    expect(f.rec.rumors).to.deep.equal([]);
    // A joiner must learn who died or left before it came, or a stale `alive` could revive them;
    // the dead record does not count in the live-membership digest.
    const digest = f.membership.viewDigest();
    const dead = member('n7', { state: 'dead' });
    expect(f.membership.apply(dead, 'n2', 'anti-entropy', null, T0)).to.equal(true);
    expect(f.membership.get('n7')?.record).to.deep.equal(dead);
    expect(f.membership.viewDigest()).to.equal(digest);
    expect(f.rec.events).to.have.length(1);
    expect(f.rec.events[0]).to.deep.include({ type: 'member', member: dead, previous: null });
    expect(f.rec.rumors, 'old news to the peer that sent it').to.deep.equal([]);
  });

  it('the view digest depends on the records, not on the order they arrived in', () => {
    const a = membershipFixture('n0', { peers: ['n1', 'n2', 'n3'] });
    const b = membershipFixture('n0', { peers: ['n3', 'n1', 'n2'] });
    expect(a.membership.viewDigest()).to.equal(b.membership.viewDigest());
    a.membership.apply(member('n2', { incarnation: 2 }), 'n1', 'rumor', rumor, T0);
    expect(a.membership.viewDigest()).to.not.equal(b.membership.viewDigest());
    b.membership.apply(member('n2', { incarnation: 2 }), 'n1', 'rumor', rumor, T0);
    expect(a.membership.viewDigest()).to.equal(b.membership.viewDigest());
  });

  it('a failed probe suspects the target; the suspicion expires into a death that drops its mail', () => {
    const f = membershipFixture('n0', { peers: ['n1', 'n2', 'n3'] });
    f.membership.probeFailed('n1', T0, false);
    expect(f.membership.get('n1')?.record.state).to.equal('suspect');
    expect(f.stats.suspicionsRaised).to.equal(1);
    const deadline = f.deadlines.get('n1')!;
    expect(deadline).to.be.greaterThan(T0);
    f.membership.suspicionExpired('n1', deadline - 1);
    expect(f.membership.get('n1')?.record.state, 'not before its deadline').to.equal('suspect');
    f.membership.suspicionExpired('n1', deadline);
    expect(f.membership.get('n1')?.record.state).to.equal('dead');
    expect(f.stats.deathsDeclared).to.equal(1);
    expect(f.rec.gone).to.deep.equal(['n1']);
    // The suspicion was only rumored; the death is mailed to peers too.
    expect(f.rec.announced.map((m) => m.t === 'member' && m.member.state)).to.deep.equal(['dead']);
  });

  it('a refutation (higher incarnation, alive) cancels the pending death, also one a refused probe capped', () => {
    for (const refused of [false, true]) {
      const f = membershipFixture('n0', { peers: ['n1', 'n2', 'n3'] });
      f.membership.probeFailed('n1', T0, refused);
      const deadline = f.deadlines.get('n1')!;
      f.membership.apply(member('n1', { incarnation: 1 }), 'n1', 'rumor', rumor, T0 + 10);
      f.membership.suspicionExpired('n1', deadline);
      expect(f.membership.get('n1')?.record, `refused: ${refused}`).to.deep.include({
        state: 'alive',
        incarnation: 1,
      });
      expect(f.stats.deathsDeclared).to.equal(0);
    }
  });

  it('a probe its host refused caps the suspicion at refusedSuspicionTimeoutMs; later confirmations do not lift the cap', () => {
    const config = resolveEngineConfig({ refusedSuspicionTimeoutMs: 700 });
    const peers = Array.from({ length: 10 }, (_, i) => `n${i + 1}`);
    const f = membershipFixture('n0', { config, peers });
    f.membership.probeFailed('n1', T0, false);
    const silent = f.deadlines.get('n1')!;
    expect(silent - T0, "silence waits Lifeguard's timeout").to.be.greaterThan(700);
    // A refused probe of a member already suspected (here by our own earlier probe) caps it too.
    f.membership.probeFailed('n1', T0 + 100, true);
    expect(f.deadlines.get('n1')).to.equal(T0 + 800);
    f.membership.apply(member('n1', { state: 'suspect' }), 'n3', 'rumor', rumor, T0 + 200);
    expect(f.deadlines.get('n1'), 'a confirmation recomputes from max; the cap holds').to.equal(T0 + 800);
    f.membership.suspicionExpired('n1', T0 + 800);
    expect(f.membership.get('n1')?.record.state).to.equal('dead');
    // A first probe that is refused suspects and caps at once.
    f.membership.probeFailed('n2', T0 + 1_000, true);
    expect(f.membership.get('n2')?.record.state).to.equal('suspect');
    expect(f.deadlines.get('n2')).to.equal(T0 + 1_700);
  });

  it('an independent confirmation of a suspicion is passed on once and shortens the deadline', () => {
    const config = resolveEngineConfig({ suspicionMult: 4 });
    const peers = Array.from({ length: 10 }, (_, i) => `n${i + 1}`);
    const f = membershipFixture('n0', { config, peers });
    const suspect = member('n1', { state: 'suspect' });
    f.membership.apply(suspect, 'n2', 'rumor', rumor, T0);
    const first = f.deadlines.get('n1')!;
    f.rec.rumors.length = 0;
    f.membership.apply(suspect, 'n3', 'rumor', rumor, T0 + 1);
    f.membership.apply(suspect, 'n3', 'rumor', rumor, T0 + 2);
    expect(f.rec.rumors, 'n3 confirms once').to.have.length(1);
    expect(f.deadlines.get('n1')).to.be.below(first);
  });

  it('refutes a suspicion about itself with a higher incarnation, and a newer generation with a newer one', () => {
    const f = membershipFixture('n0', { peers: ['n1'] });
    f.membership.apply(member('n0', { state: 'suspect' }), 'n1', 'rumor', rumor, T0 + 1);
    expect(f.membership.self()).to.deep.include({ state: 'alive', incarnation: 1, generation: T0 });
    expect(f.stats.suspicionsRefuted).to.equal(1);
    expect(f.rec.rumors.at(-1)).to.deep.include({ t: 'member', member: f.membership.self() });
    f.membership.apply(member('n0', { state: 'dead', generation: T0 + 5 }), 'n1', 'rumor', rumor, T0 + 2);
    expect(f.membership.generation).to.equal(T0 + 6);
    expect(f.membership.self()).to.deep.include({ state: 'alive', incarnation: 0, generation: T0 + 6 });
  });

  it('does not outbid another live process claiming its name from another address', () => {
    const f = membershipFixture('n0', { peers: ['n1'] });
    const other = member('n0', { incarnation: 4, addr: '10.9.9.9:7946' });
    f.membership.apply(other, 'n1', 'rumor', rumor, T0 + 1);
    expect(f.membership.self().incarnation).to.equal(0);
    expect(f.rec.rumors).to.deep.equal([]);
  });

  it('reaps dead members after deadReapMs and forgets them everywhere', () => {
    const config = resolveEngineConfig({ deadReapMs: 20_000 });
    const f = membershipFixture('n0', { config, peers: ['n1', 'n2'] });
    f.membership.apply(member('n1', { state: 'dead' }), 'n2', 'rumor', rumor, T0);
    f.membership.reap(T0 + 19_999);
    expect(f.membership.get('n1')).to.not.equal(undefined);
    f.membership.reap(T0 + 20_000);
    expect(f.membership.get('n1')).to.equal(undefined);
    expect(f.tree.has(memberKey('n1'))).to.equal(false);
    expect(f.rec.reaped).to.deep.equal(['n1']);
    expect(f.rec.events.at(-1)).to.deep.equal({ type: 'member-reaped', name: 'n1' });
    expect(f.membership.counts()).to.deep.equal({ alive: 2, suspect: 0, dead: 0, left: 0 });
  });

  it('drops a record outside sane bounds as a bad record', () => {
    const f = membershipFixture('n0');
    expect(f.membership.apply(member('n1', { incarnation: -1 }), 'n1', 'rumor', rumor, T0)).to.equal(false);
    expect(f.rec.badRecords).to.equal(1);
    expect(f.membership.get('n1')).to.equal(undefined);
  });

  it('leave() announces a final left record', () => {
    const f = membershipFixture('n0', { peers: ['n1'] });
    f.membership.leave(T0 + 1);
    expect(f.membership.leaving).to.equal(true);
    expect(f.membership.self().state).to.equal('left');
    expect(f.rec.announced).to.have.length(1);
    expect(f.rec.announced[0]).to.deep.include({ t: 'member', member: f.membership.self() });
    // A leaving node does not refute: its departure must stand.
    f.membership.apply(member('n0', { state: 'dead', incarnation: 3 }), 'n1', 'rumor', rumor, T0 + 2);
    expect(f.membership.self().state).to.equal('left');
  });
});
