import { expect } from 'chai';
import fc from 'fast-check';
import { AntiEntropy } from '../../src/agent/state/anti-entropy-session.js';
import type { AntiEntropyMode, KvEntry, Message } from '../../src/agent/wire/messages.js';
import { bytes, exchange, member, Replica } from './replica.js';

const KEYS = 10_000;

/** Two replicas holding the same KEYS entries (written by the same writes). */
function twins(n = KEYS): [Replica, Replica] {
  const a = new Replica();
  const b = new Replica();
  for (let i = 0; i < n; i++) {
    const e = a.kv.put(`key-${i}`, bytes(`value-${i}`), 'writer-a', 1_000);
    b.kv.apply(e, 1_000);
  }
  for (let i = 0; i < 20; i++) {
    a.setMember(member(`node-${i}`));
    b.setMember(member(`node-${i}`));
  }
  return [a, b];
}

function types(log: ReturnType<typeof exchange>): string[] {
  return log.messages.map((m) => `${m.from}:${m.message.t}`);
}

describe('AntiEntropy', () => {
  let big: [Replica, Replica];
  before(() => {
    big = twins();
  });

  it('equal states: exactly ae-start + ae-equal, within the byte budget', () => {
    const [a, b] = big;
    const log = exchange(a, b, 'push-pull');
    expect(types(log)).to.deep.equal(['initiator:ae-start', 'responder:ae-equal']);
    expect(log.initiatorEqual).to.equal(true);
    expect(log.openSessions).to.equal(0);
    expect(log.bytes).to.be.at.most(200);
    console.log(`      equal state, ${KEYS} keys: ${log.bytes} bytes (incl. 40 B/message overhead)`);
  });

  it('repairs 1 divergent key out of 10,000 in push-pull, in under 2 KB', () => {
    const [a, b] = big; // shared with the previous test, which leaves them equal
    const newer = a.kv.put('key-1234', bytes('changed'), 'writer-a', 2_000);
    const log = exchange(b, a, 'push-pull'); // initiated by the side holding the old value
    expect(b.kv.get('key-1234')).to.deep.equal(newer);
    expect(b.tree.root()).to.deep.equal(a.tree.root());
    expect(log.appliedByInitiator).to.equal(1);
    expect(log.appliedByResponder).to.equal(0);
    expect(log.openSessions).to.equal(0);
    expect(log.bytes).to.be.at.most(2_048);
    console.log(
      `      1 divergent key of ${KEYS}: ${log.bytes} bytes in ${log.messages.length} messages (${types(log).join(' ')})`,
    );
  });

  it('repairs keys missing on either side in push-pull', () => {
    const [a, b] = twins(2_000);
    a.kv.put('only-a', bytes('1'), 'writer-a', 2_000);
    b.kv.put('only-b', bytes('2'), 'writer-b', 2_000);
    b.setMember(member('node-only-b'));
    a.setMember(member('node-3', 1, 'suspect'));
    const log = exchange(a, b, 'push-pull');
    expect(a.snapshot()).to.deep.equal(b.snapshot());
    expect(a.tree.root()).to.deep.equal(b.tree.root());
    expect(a.kv.get('only-b')?.value).to.deep.equal(bytes('2'));
    expect(b.members.get('node-3')?.state).to.equal('suspect');
    expect(log.appliedByInitiator).to.equal(2);
    expect(log.appliedByResponder).to.equal(2);
    expect(log.openSessions).to.equal(0);
  });

  it('a brand-new empty node receives everything in one exchange', () => {
    const [a] = twins(3_000);
    const fresh = new Replica();
    const log = exchange(fresh, a, 'push-pull');
    expect(fresh.snapshot()).to.deep.equal(a.snapshot());
    // One turn each way; the responder's records arrive as ae-part packets (issue 8: bounded
    // packets) ended by one ae-entries.
    const t = types(log);
    expect(t[0]).to.equal('initiator:ae-start');
    expect(t.at(-1)).to.equal('responder:ae-entries');
    expect(new Set(t.slice(1, -1))).to.deep.equal(new Set(['responder:ae-part']));
    expect(log.appliedByInitiator).to.equal(3_020);
  });

  it('push changes only the responder; pull changes only the initiator', () => {
    for (const mode of ['push', 'pull'] as const) {
      const [a, b] = twins(1_000);
      a.kv.put('only-a', bytes('1'), 'writer-a', 2_000);
      b.kv.put('only-b', bytes('2'), 'writer-b', 2_000);
      a.kv.delete('key-7', 'writer-a', 2_000);
      b.kv.put('key-8', bytes('b wins'), 'writer-b', 2_000);
      const beforeA = a.snapshot();
      const beforeB = b.snapshot();
      const log = exchange(a, b, mode);
      expect(log.openSessions).to.equal(0);
      if (mode === 'push') {
        expect(a.snapshot(), 'initiator unchanged by push').to.deep.equal(beforeA);
        expect(b.kv.get('only-a')?.value).to.deep.equal(bytes('1'));
        expect(b.kv.get('key-7')?.value).to.equal(null);
        expect(b.kv.get('only-b')).to.not.equal(undefined);
        expect(b.kv.get('key-8')?.value, 'b keeps its newer write').to.deep.equal(bytes('b wins'));
      } else {
        expect(b.snapshot(), 'responder unchanged by pull').to.deep.equal(beforeB);
        expect(a.kv.get('only-b')?.value).to.deep.equal(bytes('2'));
        expect(a.kv.get('key-8')?.value).to.deep.equal(bytes('b wins'));
        expect(a.kv.get('only-a')).to.not.equal(undefined);
        expect(a.kv.get('key-7')?.value, 'a keeps its newer delete').to.equal(null);
      }
    }
  });

  it('a second exchange after a push-pull is equal', () => {
    const [a, b] = twins(500);
    for (let i = 0; i < 100; i++) a.kv.put(`key-${i * 3}`, bytes(`x${i}`), 'writer-a', 2_000);
    for (let i = 0; i < 100; i++) b.kv.put(`fresh-${i}`, bytes(`y${i}`), 'writer-b', 2_000);
    exchange(a, b, 'push-pull');
    expect(types(exchange(b, a, 'push-pull'))).to.deep.equal(['initiator:ae-start', 'responder:ae-equal']);
  });

  it('random divergent states converge to identical roots after one push-pull exchange', () => {
    const kvArb = fc.record({
      key: fc.constantFrom(...Array.from({ length: 40 }, (_, i) => `k${i}`)),
      value: fc.option(fc.uint8Array({ maxLength: 6 }), { nil: null }),
      clock: fc.integer({ min: 1, max: 6 }),
      writer: fc.constantFrom('w1', 'w2', 'w3'),
      at: fc.integer({ min: 0, max: 5 }),
    });
    const memberArb = fc.record({
      name: fc.constantFrom('n1', 'n2', 'n3', 'n4'),
      incarnation: fc.integer({ min: 0, max: 3 }),
      state: fc.constantFrom('alive', 'suspect', 'dead', 'left' as const),
    });
    const sideArb = fc.record({
      kv: fc.array(kvArb, { maxLength: 60 }),
      members: fc.array(memberArb, { maxLength: 6 }),
    });
    const modeArb = fc.constantFrom<AntiEntropyMode>('push-pull');
    fc.assert(
      fc.property(sideArb, sideArb, fc.array(kvArb, { maxLength: 300 }), modeArb, (sa, sb, shared, mode) => {
        const a = new Replica();
        const b = new Replica();
        for (const e of shared) {
          a.kv.apply(e as KvEntry, 10);
          b.kv.apply(e as KvEntry, 10);
        }
        for (const [r, side] of [
          [a, sa],
          [b, sb],
        ] as const) {
          for (const e of side.kv) r.kv.apply(e as KvEntry, 10);
          for (const m of side.members) r.setMember(member(m.name, m.incarnation, m.state));
        }
        const log = exchange(a, b, mode, 10);
        expect(a.tree.root()).to.deep.equal(b.tree.root());
        expect(a.snapshot()).to.deep.equal(b.snapshot());
        expect(log.openSessions).to.equal(0);
      }),
      { numRuns: 150 },
    );
  });

  it('any mode on large random divergences: receivers end at the join, non-receivers unchanged', () => {
    const base: KvEntry[] = Array.from({ length: 3_000 }, (_, i) => ({
      key: `key-${i}`,
      value: bytes(`v${i}`),
      clock: 1,
      writer: 'w0',
      at: 10,
    }));
    const editArb = fc.record({
      i: fc.nat({ max: 3_500 }),
      clock: fc.integer({ min: 1, max: 4 }),
      writer: fc.constantFrom('w1', 'w2'),
      del: fc.boolean(),
    });
    const toEntry = (e: { i: number; clock: number; writer: string; del: boolean }): KvEntry => ({
      key: `key-${e.i}`,
      value: e.del ? null : bytes(`${e.writer}/${e.clock}`),
      clock: e.clock,
      writer: e.writer,
      at: 20,
    });
    fc.assert(
      fc.property(
        fc.array(editArb, { maxLength: 400 }),
        fc.array(editArb, { maxLength: 400 }),
        fc.constantFrom<AntiEntropyMode>('push', 'pull', 'push-pull'),
        (editsA, editsB, mode) => {
          const a = new Replica();
          const b = new Replica();
          const join = new Replica();
          for (const e of base) for (const r of [a, b, join]) r.kv.apply(e, 30);
          for (const e of editsA.map(toEntry)) {
            a.kv.apply(e, 30);
            join.kv.apply(e, 30);
          }
          for (const e of editsB.map(toEntry)) {
            b.kv.apply(e, 30);
            join.kv.apply(e, 30);
          }
          const beforeA = a.snapshot();
          const beforeB = b.snapshot();
          const log = exchange(a, b, mode, 30);
          expect(log.openSessions).to.equal(0);
          expect(a.snapshot()).to.deep.equal(mode === 'push' ? beforeA : join.snapshot());
          expect(b.snapshot()).to.deep.equal(mode === 'pull' ? beforeB : join.snapshot());
        },
      ),
      { numRuns: 25 },
    );
  });

  describe('sessions', () => {
    it('ignores messages of unknown sessions and expires idle ones', () => {
      const a = new Replica();
      a.kv.put('x', bytes('1'), 'w', 0);
      const ae = new AntiEntropy(a, { timeoutMs: 1_000 });
      const stray: Message = { t: 'ae-tree', session: 99, nodes: [] };
      expect(ae.handle('peer', [stray], 0)).to.deep.equal([]);
      const start = ae.start('peer', 5, 'push-pull', 0);
      expect(start).to.include({ t: 'ae-start', session: 5, count: 1 });
      expect(ae.activeSessions).to.equal(1);
      expect(ae.handle('peer', [{ t: 'ae-equal', session: 5 }], 2_000)).to.deep.equal([]);
      expect(ae.activeSessions).to.equal(0);
    });

    it('keeps concurrent sessions with the same number apart per peer, and bounds their number', () => {
      const a = new Replica();
      const ae = new AntiEntropy(a, { timeoutMs: 1_000, maxSessions: 3 });
      const s1 = ae.start('p', 1, 'push', 0);
      const s2 = ae.start('p', 1, 'push', 0);
      expect(s1).to.include({ session: 1 });
      expect(s2).to.include({ session: 2 });
      ae.start('q', 1, 'push', 0);
      ae.start('r', 1, 'push', 0);
      expect(ae.activeSessions).to.equal(3);
      expect(ae.evicted, 'counted (grapevine_anti_entropy_evicted_total)').to.equal(1);
      // The oldest session ('p', 1) was evicted: an answer for it is ignored, ('p', 2) is still live.
      expect(ae.handle('p', [{ t: 'ae-equal', session: 1 }], 1)).to.deep.equal([]);
      const o = ae.handle('p', [{ t: 'ae-equal', session: 2 }], 1);
      expect(o).to.have.length(1);
      expect(o[0]).to.include({ done: true, equal: true, role: 'initiator' });
    });

    it('a responder does not accept entries a push from it would not allow', () => {
      const b = new Replica();
      b.kv.put('own', bytes('1'), 'w', 0);
      const before = b.tree.root();
      const ae = new AntiEntropy(b, { timeoutMs: 1_000 });
      const injected: KvEntry = { key: 'evil', value: bytes('x'), clock: 5, writer: 'w', at: 0 };
      // In a pull, data flows responder → initiator only, so entries sent to the responder are refused.
      const first = ae.handle('p', [{ t: 'ae-start', session: 1, mode: 'pull', root: [1, 2], count: 1 }], 0);
      expect(first[0]?.messages.map((m) => m.t)).to.deep.equal(['ae-keys']);
      const o = ae.handle('p', [{ t: 'ae-entries', session: 1, members: [], kv: [injected], want: [] }], 0);
      expect(o[0]?.applied).to.equal(0);
      expect(b.kv.get('evil')).to.equal(undefined);
      expect(b.tree.root()).to.deep.equal(before);
    });
  });
});
