// Convergence after churn (issue 11): a node that joins after a member left or died learns that
// record (resurrection protection), and the view digest — which covers the live membership only —
// is equal on every node once they agree on who is alive, whatever dead or left records they hold.
import { expect } from 'chai';
import { resolveEngineConfig } from '../../src/agent/config/engine-schema.js';
import { ReapedMembers } from '../../src/agent/core/reaped-members.js';
import { viewEntryHash } from '../../src/agent/core/view-hash.js';
import { ZERO_HASH } from '../../src/agent/state/hash64.js';
import type { MemberRecord } from '../../src/agent/wire/messages.js';
import { FAST_ENGINE } from '../support/cluster-checks.js';
import { forgedMemberPacket } from '../support/forged-packet.js';
import { joinedMemoryCluster, type MemoryCluster, memoryAddr } from '../support/memory-cluster.js';

const addrOf = memoryAddr;
const CONFIG = resolveEngineConfig({ ...FAST_ENGINE, deadReapMs: 120_000 });
const cluster = (n: number, seed: number) => joinedMemoryCluster(n, seed, CONFIG);

const digests = (c: MemoryCluster) => new Set([...c.nodes.values()].map((x) => x.node.viewDigest()));

describe('convergence after churn (issue 11)', function () {
  this.timeout(60_000);

  for (const how of ['leave', 'kill -9'] as const) {
    const gone = how === 'leave' ? 'left' : 'dead';
    it(`a node joining after a ${how} learns the ${gone} record, and every view digest is equal`, () => {
      const c = cluster(4, how === 'leave' ? 21 : 22);
      if (how === 'leave') {
        c.get('n3').leave(c.now);
        c.run(1_000);
      }
      c.kill('n3'); // after a leave, the agent exits
      expect(c.runUntil(() => c.allSee({ n3: gone }), 60_000)).to.equal(true);
      // Long enough for every rumor about n3 to have stopped circulating.
      c.run(10_000);
      c.add('n4', addrOf(4));
      c.get('n4').join([addrOf(0)], c.now);
      const ok = c.runUntil(
        () => c.allSee({ n0: 'alive', n4: 'alive', n3: gone }) && digests(c).size === 1,
        30_000,
      );
      expect(c.state('n4', 'n3'), 'the newcomer knows the record').to.equal(gone);
      expect(digests(c).size, 'one view digest').to.equal(1);
      expect(ok).to.equal(true);
    });
  }

  it('the digest covers the live membership: equal views of who is alive give equal digests', () => {
    const c = cluster(3, 23);
    const before = c.get('n0').viewDigest();
    c.kill('n2');
    expect(c.runUntil(() => c.allSee({ n2: 'dead' }), 60_000)).to.equal(true);
    const afterDeath = digests(c);
    expect(afterDeath.size).to.equal(1);
    expect([...afterDeath][0], 'a death changes the live membership').to.not.equal(before);
  });

  it('the digest entry: suspect counts as alive, a new incarnation, generation or address counts, dead and left count as absent', () => {
    const alive: MemberRecord = {
      name: 'x',
      addr: 'a:1',
      generation: 5,
      incarnation: 2,
      state: 'alive',
      tags: {},
    };
    const h = viewEntryHash(alive);
    expect(viewEntryHash({ ...alive, state: 'suspect' })).to.deep.equal(h);
    expect(viewEntryHash({ ...alive, incarnation: 3 })).to.not.deep.equal(h);
    expect(viewEntryHash({ ...alive, generation: 6 })).to.not.deep.equal(h);
    expect(viewEntryHash({ ...alive, addr: 'a:2' })).to.not.deep.equal(h);
    expect(viewEntryHash({ ...alive, state: 'dead' })).to.deep.equal(ZERO_HASH);
    expect(viewEntryHash({ ...alive, state: 'left' })).to.deep.equal(ZERO_HASH);
  });

  it('a late copy of a reaped record is not taken back in; a newer version of the member is', () => {
    const c = cluster(3, 25);
    const old = c.get('n2').self();
    c.kill('n2');
    expect(c.runUntil(() => c.allSee({ n2: 'dead' }), 60_000)).to.equal(true);
    expect(c.runUntil(() => c.get('n0').member('n2') === undefined, CONFIG.deadReapMs + 5_000)).to.equal(
      true,
    );
    const n0 = c.nodes.get('n0')!;
    // A peer that learned the death later still holds it and hands it over (here: by rumor).
    n0.transport.deliver('10.9.9.9:7946', forgedMemberPacket(c, [{ ...old, state: 'dead' }]), 'datagram');
    n0.transport.deliver('10.9.9.9:7946', forgedMemberPacket(c, [{ ...old, state: 'alive' }]), 'datagram');
    c.run(1_000);
    expect(n0.node.member('n2'), 'no ghost from a late copy').to.equal(undefined);
    // The same name back as a new process (newer generation) is news.
    const reborn = { ...old, generation: old.generation + 1, state: 'dead' as const };
    n0.transport.deliver('10.9.9.9:7946', forgedMemberPacket(c, [reborn]), 'datagram');
    c.run(100);
    expect(n0.node.member('n2')?.generation).to.equal(reborn.generation);
  });

  it('ReapedMembers keeps at most `max` names, forgetting the oldest', () => {
    const r = new ReapedMembers(2);
    const rec = (name: string): MemberRecord => ({
      name,
      addr: 'a:1',
      generation: 1,
      incarnation: 0,
      state: 'dead',
      tags: {},
    });
    r.add(rec('a'));
    r.add(rec('b'));
    r.add(rec('c'));
    expect(r.size).to.equal(2);
    expect(r.covers(rec('a'))).to.equal(false);
    expect(r.covers(rec('c'))).to.equal(true);
    expect(r.covers({ ...rec('c'), incarnation: 1 })).to.equal(false);
  });
});
