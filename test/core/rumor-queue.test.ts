// The rumor queue on its own: order, retransmit limit, bound and pruning, byte budget.
import { expect } from 'chai';
import fc from 'fast-check';
import { RumorQueue } from '../../src/agent/core/rumor-queue.js';

describe('rumor queue', () => {
  const size = (b: Uint8Array) => b.length + 1;
  it('sends least-transmitted first and drops a rumor after the limit', () => {
    const q = new RumorQueue();
    q.enqueue('a', 'member', new Uint8Array(10));
    q.enqueue('b', 'member', new Uint8Array(10));
    const first = q.take(11, 2, size);
    expect(first.map((r) => r.key)).to.deep.equal(['b']);
    const second = q.take(11, 2, size);
    expect(second.map((r) => r.key)).to.deep.equal(['a']);
    q.take(100, 2, size);
    expect(q.size).to.equal(0);
  });
  it('is bounded: beyond its cap the most-transmitted rumors are pruned first, and counted', () => {
    const q = new RumorQueue(3);
    q.enqueue('old', 'member', new Uint8Array(5));
    q.take(6, 10, size); // 'old' now has one transmission
    q.enqueue('a', 'member', new Uint8Array(5));
    q.enqueue('b', 'member', new Uint8Array(5));
    q.enqueue('c', 'member', new Uint8Array(5));
    expect(q.size).to.equal(3);
    expect(q.pruned).to.equal(1);
    expect(q.has('old')).to.equal(false);
    expect(q.take(100, 10, size).map((r) => r.key)).to.deep.equal(['c', 'b', 'a']);
  });
  it('takes in the same order as a full sort by (transmits, newest) would (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1, max: 40 })), {
          maxLength: 60,
        }),
        fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 20 }),
        (ops, budgets) => {
          const q = new RumorQueue();
          type Ref = { key: string; size: number; transmits: number; id: number };
          let ref: Ref[] = [];
          let id = 0;
          for (const [k, n] of ops) {
            const key = `k${k}`;
            q.enqueue(key, 'member', new Uint8Array(n));
            ref = ref.filter((r) => r.key !== key);
            ref.push({ key, size: n, transmits: 0, id: id++ });
          }
          for (const budget of budgets) {
            ref.sort((a, b) => a.transmits - b.transmits || b.id - a.id);
            const want: string[] = [];
            let left = budget;
            for (const r of ref) {
              if (r.size + 1 > left) continue;
              left -= r.size + 1;
              want.push(r.key);
              r.transmits++;
              if (left < 8 || want.length >= 120) break;
            }
            ref = ref.filter((r) => r.transmits < 3);
            expect(q.take(budget, 3, size).map((r) => r.key)).to.deep.equal(want);
            expect(q.size).to.equal(ref.length);
          }
        },
      ),
    );
  });
  it('replaces a rumor with a newer one of the same key', () => {
    const q = new RumorQueue();
    q.enqueue('m:x', 'member', new Uint8Array(5));
    q.take(100, 10, size);
    q.enqueue('m:x', 'member', new Uint8Array(6));
    expect(q.size).to.equal(1);
    const [r] = q.take(100, 10, size);
    expect(r!.bytes.length).to.equal(6);
    expect(r!.transmits).to.equal(1);
  });
  it('never exceeds the byte budget', () => {
    const q = new RumorQueue();
    for (let i = 0; i < 50; i++) q.enqueue(`k${i}`, 'kv', new Uint8Array(30));
    const got = q.take(100, 5, size);
    expect(got.reduce((s, r) => s + size(r.bytes), 0)).to.be.at.most(100);
    expect(got.length).to.equal(3);
  });
  it('skips a rumor too big for what is left and still takes smaller ones behind it', () => {
    const q = new RumorQueue();
    q.enqueue('small-old', 'kv', new Uint8Array(5));
    q.enqueue('big', 'kv', new Uint8Array(50));
    q.enqueue('small-new', 'kv', new Uint8Array(5));
    const got = q.take(20, 5, size).map((r) => r.key);
    expect(got).to.deep.equal(['small-new', 'small-old']);
    expect(q.has('big')).to.equal(true);
    // The skipped rumor is now the least transmitted and goes first.
    expect(q.take(100, 5, size)[0]!.key).to.equal('big');
  });
  it('a replaced rumor starts over at zero transmissions', () => {
    const q = new RumorQueue();
    q.enqueue('a', 'member', new Uint8Array(5));
    q.take(6, 3, size);
    q.take(6, 3, size);
    q.enqueue('a', 'member', new Uint8Array(6));
    expect(q.size).to.equal(1);
    // Three more sends before it goes cold (the old copy had two).
    for (let i = 0; i < 3; i++) expect(q.take(100, 3, size)).to.have.length(1);
    expect(q.size).to.equal(0);
  });
});
