// Records about members from peers, good and bad: one merge with a deterministic tie-break, the
// generation rule (a node outbids any record about itself that would win against its own), and
// sane bounds (junk names and unencodable counters are dropped and counted, never merged).
import { expect } from 'chai';
import {
  MAX_GENERATION,
  MAX_GENERATION_AHEAD_MS,
  MAX_INCARNATION,
  maxKvClock,
  saneKv,
} from '../../src/agent/core/record-bounds.js';
import { LIMITS } from '../../src/agent/wire/limits.js';
import type { MemberRecord, Message } from '../../src/agent/wire/messages.js';
import { forgedMemberPacket, forgedPacket } from '../support/forged-packet.js';
import { MemoryCluster } from '../support/memory-cluster.js';

const names = (n: number) => Array.from({ length: n }, (_, i) => `node-${i}`);
const addrOf = (i: number) => `10.0.0.${i + 1}:7946`;
const DAY = 86_400_000;

function joinedCluster(n: number, seed = 1): MemoryCluster {
  const c = new MemoryCluster(seed);
  for (const [i, name] of names(n).entries()) c.add(name, addrOf(i));
  for (const [i, name] of names(n).entries()) if (i > 0) c.get(name).join([addrOf(0)], c.now);
  expect(c.runUntil(() => names(n).every((o) => c.get(o).counts().alive === n), 30_000)).to.equal(true);
  return c;
}

const forged = forgedMemberPacket;

describe('member records from peers', function () {
  this.timeout(60_000);

  it('equal versions with different contents end identical on every node (content tie-break)', () => {
    const c = joinedCluster(2, 3);
    const z = (addr: string): MemberRecord => ({
      name: 'z',
      addr,
      generation: 5,
      incarnation: 0,
      state: 'alive',
      tags: {},
    });
    c.nodes.get('node-0')!.transport.deliver('10.9.9.9:7946', forged(c, [z('10.7.7.1:7946')]), 'datagram');
    c.nodes.get('node-1')!.transport.deliver('10.9.9.9:7946', forged(c, [z('10.7.7.2:7946')]), 'datagram');
    c.run(600);
    const a = c.get('node-0').member('z');
    const b = c.get('node-1').member('z');
    expect(a?.state).to.equal('alive');
    expect(b?.state).to.equal('alive');
    expect(a?.addr).to.equal(b?.addr);
  });

  it('a node restarted with its clock 10 days behind takes a newer generation and is alive everywhere', () => {
    for (const addr of [addrOf(4), '10.0.9.9:7946']) {
      const c = joinedCluster(8);
      const oldGeneration = c.get('node-4').generation;
      c.kill('node-4');
      const others = names(8).filter((n) => n !== 'node-4');
      expect(c.runUntil(() => c.allSee({ 'node-4': 'dead' }, others), 120_000)).to.equal(true);
      const restarted = c.add('node-4', addr, { generation: c.now - 10 * DAY });
      restarted.node.join([addrOf(0)], c.now);
      const ok = c.runUntil(
        () =>
          others.every(
            (o) => c.get(o).member('node-4')?.state === 'alive' && c.get(o).member('node-4')?.addr === addr,
          ),
        20_000,
      );
      expect(ok, `restart at ${addr}`).to.equal(true);
      expect(restarted.node.generation).to.be.greaterThan(oldGeneration);
    }
  });

  it('a generation left by a run with a clock 10 years ahead does not trap the next correct restart', () => {
    const c = joinedCluster(6);
    c.kill('node-5');
    const others = names(6).filter((n) => n !== 'node-5');
    expect(c.runUntil(() => c.allSee({ 'node-5': 'dead' }, others), 120_000)).to.equal(true);
    const future = c.now + 3650 * DAY;
    c.add('node-5', addrOf(5), { generation: future }).node.join([addrOf(0)], c.now);
    const seenFuture = () => others.every((o) => c.get(o).member('node-5')?.generation === future);
    expect(c.runUntil(() => seenFuture() && c.allSee({ 'node-5': 'alive' }, others), 20_000)).to.equal(true);
    c.kill('node-5');
    expect(c.runUntil(() => c.allSee({ 'node-5': 'dead' }, others), 120_000)).to.equal(true);
    const correct = c.add('node-5', addrOf(5), { generation: c.now });
    correct.node.join([addrOf(0)], c.now);
    expect(c.runUntil(() => c.allSee({ 'node-5': 'alive' }, others), 20_000)).to.equal(true);
    expect(c.falseDeaths()).to.deep.equal([]);
  });

  it('a forged death with a higher generation is refuted by the live member within a few probe periods', () => {
    const c = joinedCluster(8);
    const victim = c.get('node-5');
    const forgedRecord: MemberRecord = { ...victim.self(), generation: victim.generation + 1, state: 'dead' };
    c.nodes.get('node-2')!.transport.deliver('10.9.9.9:7946', forged(c, [forgedRecord]), 'datagram');
    c.run(10_000);
    expect(c.allSee({ 'node-5': 'alive' })).to.equal(true);
    expect(victim.generation).to.be.greaterThan(forgedRecord.generation);
  });

  it('passes on rumors that arrive at the hop limit (255) without failing to encode them', () => {
    // Found by the hostile-traffic bench: hops 255 + 1 could not be encoded and threw in the core.
    const c = joinedCluster(4);
    const rumor = { origin: 'mallory', originTime: Math.floor(c.now), hops: 255 };
    const messages: Message[] = [
      { t: 'user-event', rumor, generation: 1, seq: 1, name: 'deep', payload: new Uint8Array([1]) },
      {
        t: 'kv',
        rumor,
        entry: { key: 'deep', value: new Uint8Array([2]), clock: 1, writer: 'mallory', at: 1 },
      },
      { t: 'member', rumor, from: 'mallory', member: { ...c.get('node-3').self() } },
    ];
    c.nodes.get('node-1')!.transport.deliver('10.9.9.9:7946', forgedPacket(c, messages), 'datagram');
    c.run(5_000);
    for (const n of names(4)) expect(c.get(n).kvGet('deep'), n).to.deep.equal(new Uint8Array([2]));
  });

  it('drops and counts records outside sane bounds: junk names (the member-name rule), port 0, unencodable incarnations', () => {
    const c = joinedCluster(4);
    const live = c.get('node-3').self();
    const junk: MemberRecord[] = [
      { ...live, name: 'n\u0000' },
      { ...live, name: 'n\u001b[31m' },
      { ...live, name: '@2' },
      { ...live, name: 'caf\u00e9' },
      { ...live, name: 'zero-port', addr: '10.0.0.9:0' },
      { ...live, incarnation: Number.MAX_SAFE_INTEGER, state: 'suspect' },
      { ...live, generation: Number.MAX_SAFE_INTEGER, state: 'dead' },
      { ...live, name: 'ghost', addr: 'not an address' },
    ];
    const target = c.nodes.get('node-1')!;
    target.transport.deliver('10.9.9.9:7946', forged(c, junk), 'datagram');
    c.run(20_000);
    for (const n of names(4)) {
      const members = c
        .get(n)
        .members()
        .map((m) => m.name)
        .sort();
      expect(members, n).to.deep.equal(names(4));
    }
    expect(c.allSee({ 'node-3': 'alive' })).to.equal(true);
    expect(c.get('node-3').self().incarnation).to.be.below(1000);
    expect(target.node.stats.dropped['bad-record']).to.equal(junk.length);
  });

  it('a forged death at the version ceiling is refuted: no fixed ceiling a record can sit on (issue 8)', () => {
    // Before: {generation: 2^50, incarnation: 2^32, dead} was within bounds, and its owner could not
    // go above it, so one datagram killed node-3 for good. Now generations are bounded relative to
    // the receiver's clock: that record is dropped, and one at the moving ceiling is outbid.
    const c = joinedCluster(4);
    const live = c.get('node-3').self();
    const target = c.nodes.get('node-1')!;
    const top = { ...live, incarnation: MAX_INCARNATION, state: 'dead' as const };
    target.transport.deliver(
      '10.9.9.9:7946',
      forged(c, [{ ...top, generation: MAX_GENERATION }]),
      'datagram',
    );
    expect(target.node.stats.dropped['bad-record']).to.equal(1);
    const ceiling = Math.floor(c.now) + MAX_GENERATION_AHEAD_MS;
    target.transport.deliver('10.9.9.9:7946', forged(c, [{ ...top, generation: ceiling }]), 'datagram');
    expect(c.get('node-1').member('node-3')?.state).to.equal('dead');
    expect(c.runUntil(() => c.allSee({ 'node-3': 'alive' }), 30_000)).to.equal(true);
    expect(c.get('node-3').generation).to.equal(ceiling + 1);
  });

  it('bounds key/value clocks from peers by our clock + 100 years, under the codec limit with room to spare', () => {
    const now = Date.UTC(2026, 10, 28);
    const entry = (clock: number) => ({ key: 'k', value: null, clock, writer: 'w', at: now });
    expect(maxKvClock(now)).to.equal(now + MAX_GENERATION_AHEAD_MS);
    expect(saneKv(entry(maxKvClock(now)), now)).to.equal(true);
    expect(saneKv(entry(maxKvClock(now) + 1), now)).to.equal(false);
    expect(saneKv(entry(LIMITS.kvClock), now)).to.equal(false);
    // What a forged clock leaves for writes: far more than any cluster makes.
    expect(LIMITS.kvClock - maxKvClock(now)).to.be.greaterThan(2 ** 47);
  });
});
