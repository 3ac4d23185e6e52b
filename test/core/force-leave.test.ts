// force-leave (issue 11) in the core: the decision for every state, and on the in-memory network a
// dead member marked left everywhere, a live member refuting a left record about itself, and a
// restart under the same name being alive again.
import { expect } from 'chai';
import { resolveEngineConfig } from '../../src/agent/config/engine-schema.js';
import { forceLeaveDecision } from '../../src/agent/core/force-leave.js';
import type { MemberRecord } from '../../src/agent/wire/messages.js';
import { FAST_ENGINE } from '../support/cluster-checks.js';
import { forgedMemberPacket } from '../support/forged-packet.js';
import { joinedMemoryCluster, memoryAddr } from '../support/memory-cluster.js';

const addrOf = memoryAddr;
const CONFIG = resolveEngineConfig({ ...FAST_ENGINE });
const cluster = (n: number, seed: number) => joinedMemoryCluster(n, seed, CONFIG);

describe('force-leave (issue 11)', function () {
  this.timeout(60_000);
  const rec = (state: MemberRecord['state']): MemberRecord => ({
    name: 'x',
    addr: 'h:1',
    generation: 7,
    incarnation: 3,
    state,
    tags: { a: 'b' },
  });

  it('decides: dead → left at the same version; refuses self, unknown, alive and suspect', () => {
    const d = forceLeaveDecision('me', 'x', rec('dead'));
    expect(d).to.deep.equal({ ok: true, record: rec('left'), previous: 'dead' });
    expect(forceLeaveDecision('me', 'x', rec('left'))).to.deep.include({ ok: true, previous: 'left' });
    for (const [name, current, reason] of [
      ['me', rec('dead'), 'self'],
      ['x', undefined, 'unknown'],
      ['x', rec('alive'), 'alive'],
      ['x', rec('suspect'), 'suspect'],
    ] as const) {
      const r = forceLeaveDecision('me', name, current);
      expect(r.ok).to.equal(false);
      if (!r.ok) {
        expect(r.reason).to.equal(reason);
        expect(r.message).to.include(`'${name}'`);
      }
    }
  });

  it('a killed member, forced to leave on one node, is left on every node', () => {
    const c = cluster(4, 41);
    c.kill('n3');
    expect(c.runUntil(() => c.allSee({ n3: 'dead' }), 60_000)).to.equal(true);
    const d = c.get('n0').forceLeave('n3', c.now);
    expect(d.ok).to.equal(true);
    expect(c.state('n0', 'n3')).to.equal('left');
    expect(c.runUntil(() => c.allSee({ n3: 'left' }), 10_000)).to.equal(true);
  });

  it('refusals change nothing', () => {
    const c = cluster(3, 42);
    const before = c.get('n0').members();
    for (const name of ['n0', 'n1', 'nobody']) expect(c.get('n0').forceLeave(name, c.now).ok).to.equal(false);
    expect(c.get('n0').members()).to.deep.equal(before);
  });

  it('a member that is in fact alive refutes the left record; a restart under the name is alive again', () => {
    const c = cluster(3, 43);
    const n2 = c.get('n2').self();
    // n0 alone wrongly holds n2 dead (say, a one-sided partition) and an operator forces it out.
    c.nodes
      .get('n0')!
      .transport.deliver('10.9.9.9:7946', forgedMemberPacket(c, [{ ...n2, state: 'dead' }]), 'datagram');
    expect(c.get('n0').forceLeave('n2', c.now).ok).to.equal(true);
    expect(c.runUntil(() => c.allSee({ n2: 'alive' }), 10_000)).to.equal(true);
    expect(c.get('n0').member('n2')!.incarnation).to.be.greaterThan(n2.incarnation);

    c.kill('n2');
    expect(c.runUntil(() => c.allSee({ n2: 'dead' }), 60_000)).to.equal(true);
    expect(c.get('n1').forceLeave('n2', c.now).ok).to.equal(true);
    expect(c.runUntil(() => c.allSee({ n2: 'left' }), 10_000)).to.equal(true);
    c.run(1_000);
    c.add('n2', addrOf(2)); // a new process: a newer generation
    c.get('n2').join([addrOf(0)], c.now);
    expect(c.runUntil(() => c.allSee({ n2: 'alive' }), 20_000)).to.equal(true);
  });
});
