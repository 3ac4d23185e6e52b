import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import fc from 'fast-check';
import { ForkableDigestTree } from '../../src/agent/sim/cow-digest-tree.js';
import { DigestTree, leafOf, TREE_LEAVES } from '../../src/agent/state/digest-tree.js';
import { hashEquals, hashString } from '../../src/agent/state/hash64.js';
import type { Hash64 } from '../../src/agent/wire/messages.js';

const hashArb: fc.Arbitrary<Hash64> = fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }));
const entriesArb = fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), hashArb), {
  selector: ([k]) => k,
  maxLength: 60,
});

function build<T extends DigestTree = DigestTree>(
  entries: ReadonlyArray<readonly [string, Hash64]>,
  t: T = new DigestTree() as T,
): T {
  for (const [k, h] of entries) t.set(k, h);
  return t;
}

function filled<T extends DigestTree = DigestTree>(n: number, t: T = new DigestTree() as T): T {
  for (let i = 0; i < n; i++) t.set(`key-${i}`, hashString(`v-${i}`));
  return t;
}

describe('DigestTree', () => {
  it('an empty tree has a zero root and count 0', () => {
    const r = new DigestTree().root();
    expect(r).to.deep.equal({ level: 0, index: 0, hash: [0, 0], count: 0 });
  });

  it('the root is independent of insertion order', () => {
    fc.assert(
      fc.property(
        entriesArb.chain((e) => fc.tuple(fc.constant(e), fc.shuffledSubarray(e, { minLength: e.length }))),
        ([entries, shuffled]) => {
          const a = build(entries).root();
          const b = build(shuffled).root();
          expect(a).to.deep.equal(b);
          expect(a.count).to.equal(entries.length);
        },
      ),
    );
  });

  it('set then delete, or set then set back, returns to the original root', () => {
    fc.assert(
      fc.property(entriesArb, fc.string({ minLength: 1, maxLength: 12 }), hashArb, (entries, key, h) => {
        const t = build(entries);
        const before = t.root();
        const previous = t.entryHash(key);
        t.set(key, h);
        if (previous === undefined) t.delete(key);
        else t.set(key, previous);
        expect(t.root()).to.deep.equal(before);
      }),
    );
  });

  it('detects a changed entry hash, and two keys swapping entry hashes', () => {
    const a = build([
      ['x', [1, 2]],
      ['y', [3, 4]],
    ]);
    const swapped = build([
      ['x', [3, 4]],
      ['y', [1, 2]],
    ]);
    const same = build([
      ['x', [1, 2]],
      ['y', [1, 2]],
    ]);
    expect(hashEquals(a.root().hash, swapped.root().hash)).to.equal(false);
    expect(same.root().hash).to.not.deep.equal([0, 0]);
  });

  it('node hashes and counts are consistent across levels', () => {
    const t = filled(2_000);
    for (let level = 0; level < 3; level++) {
      const index = 5 % 16 ** level;
      const node = t.node(level, index);
      const kids = t.children(level, index);
      expect(kids).to.have.length(16);
      let hi = 0;
      let lo = 0;
      let count = 0;
      for (const k of kids) {
        hi ^= k.hash[0];
        lo ^= k.hash[1];
        count += k.count;
      }
      expect([hi >>> 0, lo >>> 0]).to.deep.equal(node.hash);
      expect(count).to.equal(node.count);
      expect(t.keysIn(level, index)).to.have.length(node.count);
    }
    expect(t.children(3, 0)).to.deep.equal([]);
    expect(() => t.node(4, 0)).to.throw(RangeError);
    expect(() => t.node(1, 16)).to.throw(RangeError);
  });

  it('keysIn lists the keys of a leaf and keyFor maps key hashes back', () => {
    const t = filled(500);
    const kh = hashString('key-42');
    const leaf = leafOf(kh);
    expect(leaf).to.be.below(TREE_LEAVES);
    const keys = t.keysIn(3, leaf);
    expect(keys.some((k) => hashEquals(k.keyHash, kh))).to.equal(true);
    expect(t.keyFor(kh)).to.equal('key-42');
    expect(t.keyFor(hashString('absent'))).to.equal(undefined);
    t.delete('key-42');
    expect(t.keyFor(kh)).to.equal(undefined);
    expect(t.size).to.equal(499);
  });

  // Forking is the simulator's (sim/cow-digest-tree.ts): the same tree algorithm over copy-on-write storage.
  describe("fork (ForkableDigestTree, the simulator's shared start)", () => {
    it("a fork's changes do not leak into the base or its siblings", () => {
      const base = filled(1_000, new ForkableDigestTree());
      const baseRoot = base.root();
      const f1 = base.fork();
      const f2 = base.fork();
      expect(f1.root()).to.deep.equal(baseRoot);
      f1.set('key-1', [9, 9]);
      f1.delete('key-2');
      f1.set('new-key', [7, 7]);
      expect(base.root()).to.deep.equal(baseRoot);
      expect(f2.root()).to.deep.equal(baseRoot);
      expect(base.entryHash('key-1')).to.deep.equal(hashString('v-1'));
      expect(f2.has('key-2')).to.equal(true);
      expect(f2.has('new-key')).to.equal(false);
      expect(f1.has('key-2')).to.equal(false);
      expect(f1.keyFor(hashString('key-2'))).to.equal(undefined);
      expect(f2.keyFor(hashString('key-2'))).to.equal('key-2');
      expect(f1.size).to.equal(1_000);
      expect(f2.size).to.equal(1_000);
    });

    it('a fork ends in the same digest as a fresh tree with the same contents', () => {
      fc.assert(
        fc.property(
          entriesArb,
          entriesArb,
          fc.array(fc.nat(), { maxLength: 20 }),
          (initial, changes, dels) => {
            const base = build(initial, new ForkableDigestTree());
            const fork = base.fork();
            const truth = new Map(initial);
            for (const [k, h] of changes) {
              fork.set(k, h);
              truth.set(k, h);
            }
            for (const d of dels) {
              const k = initial[d % Math.max(1, initial.length)]?.[0];
              if (k === undefined) continue;
              fork.delete(k);
              truth.delete(k);
            }
            const fresh = build([...truth]);
            expect(fork.root()).to.deep.equal(fresh.root());
            expect(fork.size).to.equal(truth.size);
            const norm = (t: DigestTree) =>
              t
                .keysIn(0, 0)
                .map((k) => `${k.keyHash}|${k.entryHash}`)
                .sort();
            expect(norm(fork)).to.deep.equal(norm(fresh));
            for (const k of truth.keys()) expect(fork.keyFor(hashString(k))).to.equal(k);
          },
        ),
      );
    });

    it('forks of forks, and forks that touch many nodes (dense storage), stay correct', () => {
      const base = filled(3_000, new ForkableDigestTree());
      const f = base.fork();
      for (let i = 0; i < 1_000; i++) f.set(`key-${i}`, hashString(`w-${i}`));
      const g = f.fork();
      g.delete('key-5');
      g.set('key-2999', [1, 1]);
      const truth = new DigestTree();
      for (let i = 0; i < 3_000; i++) {
        if (i === 5) continue;
        truth.set(`key-${i}`, i === 2999 ? [1, 1] : hashString(i < 1_000 ? `w-${i}` : `v-${i}`));
      }
      expect(g.root()).to.deep.equal(truth.root());
      expect(g.node(2, 100)).to.deep.equal(truth.node(2, 100));
      expect(f.root()).to.not.deep.equal(truth.root());
    });

    it('10,000 forks of a 10,000-key tree, each changing 5 keys, stay far below 1 GB of heap', function () {
      this.timeout(60_000);
      const script = fileURLToPath(new URL('./fork-heap.measure.ts', import.meta.url));
      const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, '10000', '10000'], {
        encoding: 'utf8',
      });
      expect(run.status, run.stderr).to.equal(0);
      const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
        forkBytes: number;
        totalBytes: number;
        distinctRoots: number;
      };
      expect(result.distinctRoots).to.equal(10_000);
      expect(result.totalBytes).to.be.below(256 * 2 ** 20);
      expect(result.forkBytes / 10_000).to.be.below(16 * 1024);
    });

    it('a forked tree is read-only', () => {
      const base = filled(10, new ForkableDigestTree());
      base.fork();
      expect(() => base.set('x', [1, 1])).to.throw(/read-only/);
      expect(() => base.delete('key-1')).to.throw(/read-only/);
    });
  });
});
