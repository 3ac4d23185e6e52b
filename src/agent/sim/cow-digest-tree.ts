// A digest tree that forks in O(1) for the simulator's shared pre-converged start: a fork keeps only
// what it changed — its own key items (null marks a key removed here but present below) and, for
// node cells, a sparse map of the cells it touched, switching to dense arrays once it has touched
// many. Forking freezes the parent (it must not change under its forks); chains of forks work but
// each level adds a lookup. The tree algorithm itself is state/digest-tree.ts; only storage differs.
import {
  DenseCells,
  DigestTree,
  type DigestTreeStorage,
  type KeyItem,
  LeafIndex,
  PlainTreeStorage,
  TREE_NODE_COUNT,
} from '../state/digest-tree.js';
import type { Hash64 } from '../wire/messages.js';

/** A fork switches from sparse to dense cell storage (~52 KB) after touching this many cells. */
const DENSIFY_AT = 512;

interface Cell {
  hi: number;
  lo: number;
  count: number;
}

/** Storage over a read-only base: reads fall through to the base unless this layer changed them. */
export class CowTreeStorage implements DigestTreeStorage {
  private readonly items = new Map<string, KeyItem | null>();
  /** Keys this layer holds an item (or a removal mark) for, by leaf. */
  private readonly leaves = new LeafIndex();
  private sparse: Map<number, Cell> | null = new Map();
  private dense: DenseCells | null = null;

  constructor(private readonly base: DigestTreeStorage) {}

  item(key: string): KeyItem | undefined {
    const it = this.items.get(key);
    return it === undefined ? this.base.item(key) : (it ?? undefined);
  }

  setItem(leaf: number, item: KeyItem): void {
    this.items.set(item.key, item);
    this.leaves.add(leaf, item.key);
  }

  deleteItem(leaf: number, key: string): void {
    if (this.base.item(key) !== undefined) {
      this.items.set(key, null);
      this.leaves.add(leaf, key);
    } else {
      this.items.delete(key);
      this.leaves.remove(leaf, key);
    }
  }

  forEachInLeaf(leaf: number, fn: (it: KeyItem) => void): void {
    const own = this.leaves.keys(leaf);
    if (own) {
      for (const k of own) {
        const it = this.items.get(k);
        if (it) fn(it);
      }
    }
    this.base.forEachInLeaf(leaf, (it) => {
      if (!own?.has(it.key)) fn(it);
    });
  }

  cellHi(id: number): number {
    if (this.dense) return this.dense.hi[id]!;
    return this.sparse!.get(id)?.hi ?? this.base.cellHi(id);
  }

  cellLo(id: number): number {
    if (this.dense) return this.dense.lo[id]!;
    return this.sparse!.get(id)?.lo ?? this.base.cellLo(id);
  }

  cellCount(id: number): number {
    if (this.dense) return this.dense.count[id]!;
    return this.sparse!.get(id)?.count ?? this.base.cellCount(id);
  }

  updateCell(id: number, dhi: number, dlo: number, dcount: number): void {
    if (this.dense) {
      this.dense.update(id, dhi, dlo, dcount);
      return;
    }
    const sparse = this.sparse!;
    let c = sparse.get(id);
    if (!c) {
      c = { hi: this.base.cellHi(id), lo: this.base.cellLo(id), count: this.base.cellCount(id) };
      sparse.set(id, c);
    }
    c.hi = (c.hi ^ dhi) >>> 0;
    c.lo = (c.lo ^ dlo) >>> 0;
    c.count += dcount;
    if (sparse.size > DENSIFY_AT) this.densify();
  }

  private densify(): void {
    const dense = new DenseCells();
    for (let id = 0; id < TREE_NODE_COUNT; id++) {
      dense.hi[id] = this.cellHi(id);
      dense.lo[id] = this.cellLo(id);
      dense.count[id] = this.cellCount(id);
    }
    this.dense = dense;
    this.sparse = null;
  }
}

/** A DigestTree with fork(): the core sees a plain DigestTree. */
export class ForkableDigestTree extends DigestTree {
  private frozen = false;

  constructor(private readonly cells: DigestTreeStorage = new PlainTreeStorage()) {
    super(cells);
  }

  /** O(1) copy-on-write child sharing this tree; this tree becomes read-only. */
  fork(): ForkableDigestTree {
    this.frozen = true;
    return new ForkableDigestTree(new CowTreeStorage(this.cells));
  }

  override set(key: string, entryHash: Hash64): void {
    this.assertWritable();
    super.set(key, entryHash);
  }

  override delete(key: string): boolean {
    this.assertWritable();
    return super.delete(key);
  }

  private assertWritable(): void {
    if (this.frozen) throw new Error('DigestTree: a tree that has been forked is read-only');
  }
}
