// The anti-entropy digest: a fixed-shape hash tree, fanout 16, leaves at level 3 (4096 leaves).
// A key lives in the leaf given by the top 12 bits of its key hash. Every node holds the XOR of
// mixHash(keyHash, entryHash) over the keys below it, and their count. XOR makes updates O(depth):
// a change XORs the same delta into the leaf and its three ancestors. The mix is non-linear, so two
// keys cannot cancel each other out or swap entry hashes unnoticed.
//
// The algorithm (this class) is apart from where keys and node cells are kept (DigestTreeStorage):
// an agent uses PlainTreeStorage; the simulator supplies a copy-on-write storage (sim/cow-digest-tree.ts)
// so that 10,000 nodes can share one pre-converged tree.
import type { Hash64, KeyDigest, TreeNodeDigest } from '../wire/messages.js';
import { hashEquals, hashString, mixHash } from './hash64.js';

export const TREE_FANOUT = 16;
export const TREE_LEAF_LEVEL = 3;
export const TREE_LEAVES = TREE_FANOUT ** TREE_LEAF_LEVEL;
export const LEVEL_OFFSET = [0, 1, 17, 273] as const;
export const TREE_NODE_COUNT = 1 + 16 + 256 + 4096;

export interface NamedKeyDigest extends KeyDigest {
  key: string;
}

/** One key of the tree: its hash, its entry's hash and their mix (what the nodes XOR). */
export interface KeyItem {
  readonly key: string;
  readonly kh: Hash64;
  readonly eh: Hash64;
  readonly mix: Hash64;
}

/** Where a DigestTree keeps its keys and node cells (node ids: LEVEL_OFFSET[level] + index). */
export interface DigestTreeStorage {
  item(key: string): KeyItem | undefined;
  setItem(leaf: number, item: KeyItem): void;
  deleteItem(leaf: number, key: string): void;
  forEachInLeaf(leaf: number, fn: (it: KeyItem) => void): void;
  cellHi(id: number): number;
  cellLo(id: number): number;
  cellCount(id: number): number;
  /** XORs (hi, lo) into the cell and adds dcount to its count. */
  updateCell(id: number, dhi: number, dlo: number, dcount: number): void;
}

/** Node cells in three flat arrays (~52 KB). */
export class DenseCells {
  readonly hi = new Uint32Array(TREE_NODE_COUNT);
  readonly lo = new Uint32Array(TREE_NODE_COUNT);
  readonly count = new Uint32Array(TREE_NODE_COUNT);

  update(id: number, dhi: number, dlo: number, dcount: number): void {
    this.hi[id]! ^= dhi;
    this.lo[id]! ^= dlo;
    this.count[id]! += dcount;
  }
}

/** Keys grouped by leaf, so a leaf's keys are listed without scanning the tree. */
export class LeafIndex {
  private readonly byLeaf = new Map<number, Set<string>>();

  add(leaf: number, key: string): void {
    let set = this.byLeaf.get(leaf);
    if (!set) {
      set = new Set();
      this.byLeaf.set(leaf, set);
    }
    set.add(key);
  }

  remove(leaf: number, key: string): void {
    const set = this.byLeaf.get(leaf);
    set?.delete(key);
    if (set?.size === 0) this.byLeaf.delete(leaf);
  }

  keys(leaf: number): ReadonlySet<string> | undefined {
    return this.byLeaf.get(leaf);
  }
}

/** The agent's storage: every key and every cell held here. */
export class PlainTreeStorage implements DigestTreeStorage {
  private readonly items = new Map<string, KeyItem>();
  private readonly leaves = new LeafIndex();
  private readonly cells = new DenseCells();

  item(key: string): KeyItem | undefined {
    return this.items.get(key);
  }

  setItem(leaf: number, item: KeyItem): void {
    this.items.set(item.key, item);
    this.leaves.add(leaf, item.key);
  }

  deleteItem(leaf: number, key: string): void {
    this.items.delete(key);
    this.leaves.remove(leaf, key);
  }

  forEachInLeaf(leaf: number, fn: (it: KeyItem) => void): void {
    const keys = this.leaves.keys(leaf);
    if (keys) for (const k of keys) fn(this.items.get(k)!);
  }

  cellHi(id: number): number {
    return this.cells.hi[id]!;
  }

  cellLo(id: number): number {
    return this.cells.lo[id]!;
  }

  cellCount(id: number): number {
    return this.cells.count[id]!;
  }

  updateCell(id: number, dhi: number, dlo: number, dcount: number): void {
    this.cells.update(id, dhi, dlo, dcount);
  }
}

export function leafOf(keyHash: Hash64): number {
  return keyHash[0] >>> 20;
}

/** True when (level, index) names a node of the tree. */
export function isTreeNode(level: number, index: number): boolean {
  return (
    Number.isInteger(level) &&
    Number.isInteger(index) &&
    level >= 0 &&
    level <= TREE_LEAF_LEVEL &&
    index >= 0 &&
    index < TREE_FANOUT ** level
  );
}

function nodeId(level: number, index: number): number {
  if (!isTreeNode(level, index)) throw new RangeError(`DigestTree: no node (${level}, ${index})`);
  return LEVEL_OFFSET[level as 0 | 1 | 2 | 3] + index;
}

export class DigestTree {
  constructor(private readonly storage: DigestTreeStorage = new PlainTreeStorage()) {}

  get size(): number {
    return this.storage.cellCount(0);
  }

  has(key: string): boolean {
    return this.storage.item(key) !== undefined;
  }

  entryHash(key: string): Hash64 | undefined {
    return this.storage.item(key)?.eh;
  }

  set(key: string, entryHash: Hash64): void {
    const old = this.storage.item(key);
    if (old !== undefined && hashEquals(old.eh, entryHash)) return;
    const kh = old?.kh ?? hashString(key);
    const next: KeyItem = {
      key,
      kh,
      eh: [entryHash[0] >>> 0, entryHash[1] >>> 0],
      mix: mixHash(kh, entryHash),
    };
    const leaf = leafOf(kh);
    this.storage.setItem(leaf, next);
    let dhi = next.mix[0];
    let dlo = next.mix[1];
    if (old !== undefined) {
      dhi ^= old.mix[0];
      dlo ^= old.mix[1];
    }
    this.update(leaf, dhi, dlo, old === undefined ? 1 : 0);
  }

  delete(key: string): boolean {
    const old = this.storage.item(key);
    if (old === undefined) return false;
    const leaf = leafOf(old.kh);
    this.storage.deleteItem(leaf, key);
    this.update(leaf, old.mix[0], old.mix[1], -1);
    return true;
  }

  root(): TreeNodeDigest {
    return this.node(0, 0);
  }

  node(level: number, index: number): TreeNodeDigest {
    const id = nodeId(level, index);
    const s = this.storage;
    return { level, index, hash: [s.cellHi(id), s.cellLo(id)], count: s.cellCount(id) };
  }

  children(level: number, index: number): TreeNodeDigest[] {
    nodeId(level, index);
    if (level >= TREE_LEAF_LEVEL) return [];
    const out: TreeNodeDigest[] = [];
    for (let i = 0; i < TREE_FANOUT; i++) out.push(this.node(level + 1, index * TREE_FANOUT + i));
    return out;
  }

  /** Key digests of every key below the node. */
  keysIn(level: number, index: number): KeyDigest[] {
    return this.namedKeysIn(level, index).map((k) => ({ keyHash: k.keyHash, entryHash: k.entryHash }));
  }

  /** Like keysIn, with each key's string (saves a keyFor lookup per key). */
  namedKeysIn(level: number, index: number): NamedKeyDigest[] {
    nodeId(level, index);
    const span = TREE_FANOUT ** (TREE_LEAF_LEVEL - level);
    const out: NamedKeyDigest[] = [];
    const first = index * span;
    for (let leaf = first; leaf < first + span; leaf++) {
      this.storage.forEachInLeaf(leaf, (it) => {
        out.push({ key: it.key, keyHash: it.kh, entryHash: it.eh });
      });
    }
    return out;
  }

  /** The key string of a key hash present in the tree. */
  keyFor(keyHash: Hash64): string | undefined {
    let found: string | undefined;
    this.storage.forEachInLeaf(leafOf(keyHash), (it) => {
      if (hashEquals(it.kh, keyHash)) found = it.key;
    });
    return found;
  }

  private update(leaf: number, dhi: number, dlo: number, dcount: number): void {
    for (let level = TREE_LEAF_LEVEL; level >= 0; level--) {
      const id = LEVEL_OFFSET[level as 0 | 1 | 2 | 3] + (leaf >>> (4 * (TREE_LEAF_LEVEL - level)));
      this.storage.updateCell(id, dhi, dlo, dcount);
    }
  }
}
