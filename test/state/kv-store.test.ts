import { expect } from 'chai';
import fc from 'fast-check';
import { ForkableKvStore } from '../../src/agent/sim/cow-kv-store.js';
import { KvStore, newerKv } from '../../src/agent/state/kv-store.js';
import { LIMITS } from '../../src/agent/wire/limits.js';
import type { KvEntry } from '../../src/agent/wire/messages.js';

const enc = (s: string) => new TextEncoder().encode(s);
const TTL = 1_000;

const entryArb: fc.Arbitrary<KvEntry> = fc.record({
  key: fc.constantFrom('a', 'b', 'c'),
  value: fc.option(fc.uint8Array({ maxLength: 3 }), { nil: null }),
  clock: fc.integer({ min: 1, max: 4 }),
  writer: fc.constantFrom('w1', 'w2'),
  at: fc.integer({ min: 0, max: 3 }),
});

function dump(s: KvStore): KvEntry[] {
  return [...s.entries()].sort((x, y) => (x.key < y.key ? -1 : 1));
}

describe('KvStore', () => {
  it('put/get/delete with a Lamport clock, and a change listener', () => {
    const changes: Array<[string, KvEntry | null]> = [];
    const s = new KvStore({ tombstoneTtlMs: TTL, onChange: (k, e) => changes.push([k, e]) });
    const e1 = s.put('x', enc('1'), 'me', 10);
    expect(e1).to.deep.equal({ key: 'x', value: enc('1'), clock: 1, writer: 'me', at: 10 });
    expect(s.apply({ key: 'y', value: enc('2'), clock: 7, writer: 'peer', at: 5 }, 11)).to.equal('applied');
    const e3 = s.put('x', enc('3'), 'me', 12);
    expect(e3.clock).to.equal(8);
    const t = s.delete('x', 'me', 13);
    expect(t).to.include({ value: null, clock: 9 });
    expect(s.get('x')).to.equal(t);
    expect(s.size).to.equal(2);
    expect(changes.map(([k, e]) => `${k}@${e?.clock}`)).to.deep.equal(['x@1', 'y@7', 'x@8', 'x@9']);
  });

  it('apply: newer (clock, writer) wins; stale and expired entries are refused', () => {
    const s = new KvStore({ tombstoneTtlMs: TTL });
    expect(s.apply({ key: 'k', value: enc('a'), clock: 2, writer: 'w1', at: 0 }, 0)).to.equal('applied');
    expect(s.apply({ key: 'k', value: enc('b'), clock: 2, writer: 'w0', at: 0 }, 0)).to.equal('stale');
    expect(s.apply({ key: 'k', value: enc('c'), clock: 2, writer: 'w2', at: 0 }, 0)).to.equal('applied');
    expect(s.apply({ key: 'k', value: enc('c'), clock: 2, writer: 'w2', at: 0 }, 0)).to.equal('stale');
    expect(s.apply({ key: 'k', value: null, clock: 9, writer: 'w1', at: 0 }, 5_000)).to.equal('expired');
    expect(s.get('k')?.value).to.deep.equal(enc('c'));
    // The expired tombstone's clock still advanced the local clock.
    expect(s.lamport).to.equal(9);
  });

  it('expire removes only tombstones past the TTL and reports them', () => {
    const removed: string[] = [];
    const s = new KvStore({ tombstoneTtlMs: TTL, onChange: (k, e) => e === null && removed.push(k) });
    s.put('live', enc('1'), 'w', 0);
    s.delete('old', 'w', 0);
    s.delete('young', 'w', 900);
    s.put('revived', enc('x'), 'w', 0);
    s.delete('revived', 'w', 0);
    s.put('revived', enc('y'), 'w', 0);
    expect(s.expire(1_500)).to.deep.equal(['old']);
    expect(removed).to.deep.equal(['old']);
    expect(s.get('old')).to.equal(undefined);
    expect(s.size).to.equal(3);
    expect(s.expire(2_000)).to.deep.equal(['young']);
    expect(dump(s).map((e) => e.key)).to.deep.equal(['live', 'revived']);
  });

  it('newerKv is commutative, associative and idempotent', () => {
    // newerKv merges writes of one key: give all three the same key.
    const sameKey = fc
      .tuple(entryArb, entryArb, entryArb)
      .map(([a, b, c]) => [a, { ...b, key: a.key }, { ...c, key: a.key }]);
    fc.assert(
      fc.property(sameKey, ([a, b, c]) => {
        if (!a || !b || !c) throw new Error('unreachable');
        expect(newerKv(a, b)).to.deep.equal(newerKv(b, a));
        expect(newerKv(newerKv(a, b), c)).to.deep.equal(newerKv(a, newerKv(b, c)));
        expect(newerKv(a, a)).to.equal(a);
      }),
      { numRuns: 500 },
    );
  });

  it('applying a set of entries in any order, with duplicates, gives identical stores', () => {
    fc.assert(
      fc.property(
        fc
          .array(entryArb, { maxLength: 20 })
          .chain((es) =>
            fc.tuple(fc.constant(es), fc.shuffledSubarray([...es, ...es], { minLength: 2 * es.length })),
          ),
        ([entries, shuffledWithDups]) => {
          const s1 = new KvStore({ tombstoneTtlMs: TTL });
          const s2 = new KvStore({ tombstoneTtlMs: TTL });
          for (const e of entries) s1.apply(e, 3);
          for (const e of shuffledWithDups) s2.apply(e, 3);
          expect(dump(s1)).to.deep.equal(dump(s2));
          expect(s1.lamport).to.equal(s2.lamport);
          expect(s1.size).to.equal(s2.size);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a fork (ForkableKvStore, the simulator's) shares the base, keeps its own changes, and freezes the base", () => {
    const base = new ForkableKvStore({ tombstoneTtlMs: TTL });
    for (let i = 0; i < 100; i++) base.put(`k${i}`, enc(`${i}`), 'w', 0);
    base.delete('gone', 'w', 0);
    const f1 = base.fork();
    const f2 = base.fork();
    f1.put('k1', enc('changed'), 'w', 1);
    f1.delete('k2', 'w', 1);
    f1.put('extra', enc('e'), 'w', 1);
    expect(f1.size).to.equal(102);
    expect(f1.get('k1')?.value).to.deep.equal(enc('changed'));
    expect(f2.get('k1')?.value).to.deep.equal(enc('1'));
    expect(base.get('k2')?.value).to.deep.equal(enc('2'));
    expect(f2.get('extra')).to.equal(undefined);
    expect(dump(f1).map((e) => e.key)).to.include.members(['extra', 'k99', 'gone']);
    expect(dump(f1)).to.have.length(102);
    expect(f2.expire(5_000)).to.deep.equal(['gone']);
    expect(f2.get('gone')).to.equal(undefined);
    expect(base.get('gone')?.value).to.equal(null);
    expect(dump(f2)).to.have.length(100);
    expect(() => base.put('x', enc('x'), 'w', 0)).to.throw(/read-only/);
  });

  describe('limits (issue 8: validate before mutating)', () => {
    const big = (n: number) => 'k'.repeat(n);

    it('refuses a put or delete of a key over LIMITS.kvKey bytes and changes nothing', () => {
      const s = new KvStore({ tombstoneTtlMs: TTL });
      s.put('a', enc('1'), 'me', 1);
      expect(() => s.put(big(LIMITS.kvKey + 1), enc('v'), 'me', 2)).to.throw(RangeError, /257 bytes/);
      expect(() => s.delete(big(LIMITS.kvKey + 1), 'me', 2)).to.throw(RangeError);
      expect(s.get(big(LIMITS.kvKey + 1))).to.equal(undefined);
      expect(s.lamport).to.equal(1);
      expect(s.size).to.equal(1);
      // Multi-byte characters count in UTF-8 bytes, as the codec counts them.
      expect(() => s.put('é'.repeat(129), enc('v'), 'me', 2)).to.throw(RangeError, /258 bytes/);
      expect(s.put(big(LIMITS.kvKey), enc('v'), 'me', 3).clock).to.equal(2);
    });

    it('refuses a peer entry with a clock past LIMITS.kvClock without moving the Lamport clock', () => {
      const s = new KvStore({ tombstoneTtlMs: TTL });
      s.put('a', enc('1'), 'me', 1);
      const poisoned = { key: 'p', value: enc('x'), clock: Number.MAX_SAFE_INTEGER, writer: 'evil', at: 1 };
      expect(s.apply(poisoned, 2)).to.equal('invalid');
      expect(s.refused.invalid).to.equal(1);
      expect(s.lamport).to.equal(1);
      expect(s.get('p')).to.equal(undefined);
      expect(s.put('b', enc('2'), 'me', 3).clock).to.equal(2);
      for (const bad of [
        { ...poisoned, clock: 0 },
        { ...poisoned, clock: 1.5 },
        { ...poisoned, clock: 5, key: big(LIMITS.kvKey + 1) },
        { ...poisoned, clock: 5, writer: '' },
        { ...poisoned, clock: 5, value: new Uint8Array(LIMITS.payload + 1) },
      ])
        expect(s.apply(bad, 3), JSON.stringify({ ...bad, value: null })).to.equal('invalid');
      expect(s.lamport).to.equal(2);
    });

    it('a clock at the limit stops local writes with a RangeError before anything changes', () => {
      const s = new KvStore({ tombstoneTtlMs: TTL });
      s.put('a', enc('1'), 'me', 1);
      expect(s.apply({ key: 'x', value: enc('y'), clock: LIMITS.kvClock, writer: 'p', at: 1 }, 1)).to.equal(
        'applied',
      );
      expect(() => s.put('a', enc('2'), 'me', 2)).to.throw(RangeError, /clock is at its limit/);
      expect(() => s.delete('a', 'me', 2)).to.throw(RangeError);
      expect(s.get('a')?.value).to.deep.equal(enc('1'));
      expect(s.lamport).to.equal(LIMITS.kvClock);
    });

    it('bounds the number of entries and their bytes, for local and peer writes', () => {
      const s = new KvStore({ tombstoneTtlMs: TTL, maxEntries: 2, maxBytes: 20 });
      s.put('a', enc('1'), 'me', 1);
      s.put('b', enc('2'), 'me', 1);
      expect(() => s.put('c', enc('3'), 'me', 1)).to.throw(RangeError, /full \(2 entries/);
      expect(s.apply({ key: 'd', value: enc('4'), clock: 9, writer: 'p', at: 1 }, 1)).to.equal('full');
      expect(s.refused.full).to.equal(2);
      expect(s.size).to.equal(2);
      expect(s.lamport).to.equal(9); // a valid but refused entry still advances the clock (Lamport)
      // Overwriting an existing key is allowed while it fits in maxBytes.
      s.put('a', enc('123456789'), 'me', 2);
      expect(s.byteSize).to.equal(1 + 9 + 1 + 1);
      expect(() => s.put('a', enc('1234567890123456789'), 'me', 2)).to.throw(
        RangeError,
        /bytes; the limit is 20/,
      );
      expect(s.get('a')?.value).to.deep.equal(enc('123456789'));
      // Deleting frees bytes; expiry frees the entry.
      s.delete('a', 'me', 3);
      expect(s.byteSize).to.equal(1 + 1 + 1);
      s.expire(3 + TTL + 1);
      expect(s.size).to.equal(1);
      s.put('c', enc('3'), 'me', 5000);
      expect(s.size).to.equal(2);
    });
  });
});
