// The anti-entropy digest: a fixed-shape hash tree, fanout 16, leaves at level 3 (4096 leaves).
// A key lives in the leaf given by the top 12 bits of its key hash. Every node holds the XOR of
// mixHash(keyHash, entryHash) over the keys below it, and their count. XOR makes updates O(depth):
// a change XORs the same delta into the leaf and its three ancestors. The mix is non-linear, so two
// keys cannot cancel each other out or swap entry hashes unnoticed.
//
// Structural sharing: fork() is O(1). A fork stores only what it changed — its own key items
// (null marks a key removed here but present below) and, for nodes, a sparse map of the cells it
// touched, switching to dense arrays once it has touched many. Forking freezes the parent (it must
// not change under its forks); chains of forks work but each level adds a lookup.
import type { Hash64, KeyDigest, TreeNodeDigest } from '../wire/messages.js';
import { hashEquals, hashString, mixHash } from './hash64.js';

export const TREE_FANOUT = 16;
export const TREE_LEAF_LEVEL = 3;
export const TREE_LEAVES = TREE_FANOUT ** TREE_LEAF_LEVEL;
const LEVEL_OFFSET = [0, 1, 17, 273] as const;
const NODE_COUNT = 1 + 16 + 256 + 4096;
/** A fork switches from sparse to dense node storage (~52 KB) after touching this many nodes. */
const DENSIFY_AT = 512;

export interface NamedKeyDigest extends KeyDigest {
  key: string;
}

interface KeyItem {
  readonly key: string;
  readonly kh: Hash64;
  readonly eh: Hash64;
  readonly mix: Hash64;
}

interface NodeCell {
  hi: number;
  lo: number;
  count: number;
}

interface DenseNodes {
  hi: Uint32Array;
  lo: Uint32Array;
  count: Uint32Array;
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
  private readonly base: DigestTree | null;
  private readonly items = new Map<string, KeyItem | null>();
  /** Keys this layer has an item (or removal mark) for, by leaf. */
  private readonly leafKeys = new Map<number, Set<string>>();
  private dense: DenseNodes | null = null;
  private sparse: Map<number, NodeCell> | null = null;
  private count = 0;
  private frozen = false;

  constructor(base: DigestTree | null = null) {
    this.base = base;
    if (base) {
      this.count = base.count;
      this.sparse = new Map();
    } else {
      this.dense = {
        hi: new Uint32Array(NODE_COUNT),
        lo: new Uint32Array(NODE_COUNT),
        count: new Uint32Array(NODE_COUNT),
      };
    }
  }

  /** O(1) copy-on-write child sharing this tree; this tree becomes read-only. */
  fork(): DigestTree {
    this.frozen = true;
    return new DigestTree(this);
  }

  static fromShared(base: DigestTree): DigestTree {
    return base.fork();
  }

  get size(): number {
    return this.count;
  }

  has(key: string): boolean {
    return this.item(key) !== undefined;
  }

  entryHash(key: string): Hash64 | undefined {
    return this.item(key)?.eh;
  }

  set(key: string, entryHash: Hash64): void {
    this.assertWritable();
    const old = this.item(key);
    if (old !== undefined && hashEquals(old.eh, entryHash)) return;
    const kh = old?.kh ?? hashString(key);
    const next: KeyItem = {
      key,
      kh,
      eh: [entryHash[0] >>> 0, entryHash[1] >>> 0],
      mix: mixHash(kh, entryHash),
    };
    const leaf = leafOf(kh);
    this.items.set(key, next);
    this.markLeafKey(leaf, key);
    let dhi = next.mix[0];
    let dlo = next.mix[1];
    if (old !== undefined) {
      dhi ^= old.mix[0];
      dlo ^= old.mix[1];
    } else this.count++;
    this.update(leaf, dhi, dlo, old === undefined ? 1 : 0);
  }

  delete(key: string): boolean {
    this.assertWritable();
    const old = this.item(key);
    if (old === undefined) return false;
    const leaf = leafOf(old.kh);
    if (this.base?.item(key) !== undefined) {
      this.items.set(key, null);
      this.markLeafKey(leaf, key);
    } else {
      this.items.delete(key);
      const set = this.leafKeys.get(leaf);
      set?.delete(key);
      if (set?.size === 0) this.leafKeys.delete(leaf);
    }
    this.count--;
    this.update(leaf, old.mix[0], old.mix[1], -1);
    return true;
  }

  root(): TreeNodeDigest {
    return this.node(0, 0);
  }

  node(level: number, index: number): TreeNodeDigest {
    const id = nodeId(level, index);
    for (let t: DigestTree | null = this; t !== null; t = t.base) {
      if (t.dense)
        return { level, index, hash: [t.dense.hi[id]!, t.dense.lo[id]!], count: t.dense.count[id]! };
      const c = t.sparse?.get(id);
      if (c) return { level, index, hash: [c.hi, c.lo], count: c.count };
    }
    return { level, index, hash: [0, 0], count: 0 };
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
      this.forEachInLeaf(leaf, (it) => {
        out.push({ key: it.key, keyHash: it.kh, entryHash: it.eh });
      });
    }
    return out;
  }

  /** The key string of a key hash present in the tree. */
  keyFor(keyHash: Hash64): string | undefined {
    let found: string | undefined;
    this.forEachInLeaf(leafOf(keyHash), (it) => {
      if (hashEquals(it.kh, keyHash)) found = it.key;
    });
    return found;
  }

  private item(key: string): KeyItem | undefined {
    for (let t: DigestTree | null = this; t !== null; t = t.base) {
      const it = t.items.get(key);
      if (it !== undefined) return it ?? undefined;
    }
    return undefined;
  }

  private forEachInLeaf(leaf: number, fn: (it: KeyItem) => void): void {
    if (this.base === null) {
      const keys = this.leafKeys.get(leaf);
      if (keys) for (const k of keys) fn(this.items.get(k)!);
      return;
    }
    let seen: Set<string> | null = null;
    for (let t: DigestTree | null = this; t !== null; t = t.base) {
      const keys = t.leafKeys.get(leaf);
      if (!keys) continue;
      for (const k of keys) {
        if (seen?.has(k)) continue;
        if (t.base !== null) {
          seen ??= new Set();
          seen.add(k);
        }
        const it = t.items.get(k);
        if (it) fn(it);
      }
    }
  }

  private markLeafKey(leaf: number, key: string): void {
    let set = this.leafKeys.get(leaf);
    if (!set) {
      set = new Set();
      this.leafKeys.set(leaf, set);
    }
    set.add(key);
  }

  private update(leaf: number, dhi: number, dlo: number, dcount: number): void {
    for (let level = TREE_LEAF_LEVEL; level >= 0; level--) {
      const id = LEVEL_OFFSET[level as 0 | 1 | 2 | 3] + (leaf >>> (4 * (TREE_LEAF_LEVEL - level)));
      if (this.dense) {
        this.dense.hi[id]! ^= dhi;
        this.dense.lo[id]! ^= dlo;
        this.dense.count[id]! += dcount;
        continue;
      }
      const sparse = this.sparse!;
      let c = sparse.get(id);
      if (!c) {
        const n = this.base!.node(level, id - LEVEL_OFFSET[level as 0 | 1 | 2 | 3]);
        c = { hi: n.hash[0], lo: n.hash[1], count: n.count };
        sparse.set(id, c);
      }
      c.hi = (c.hi ^ dhi) >>> 0;
      c.lo = (c.lo ^ dlo) >>> 0;
      c.count += dcount;
    }
    if (this.sparse && this.sparse.size > DENSIFY_AT) this.densify();
  }

  private densify(): void {
    const dense: DenseNodes = {
      hi: new Uint32Array(NODE_COUNT),
      lo: new Uint32Array(NODE_COUNT),
      count: new Uint32Array(NODE_COUNT),
    };
    for (let level = 0; level <= TREE_LEAF_LEVEL; level++) {
      for (let index = 0; index < TREE_FANOUT ** level; index++) {
        const n = this.node(level, index);
        const id = LEVEL_OFFSET[level as 0 | 1 | 2 | 3] + index;
        dense.hi[id] = n.hash[0];
        dense.lo[id] = n.hash[1];
        dense.count[id] = n.count;
      }
    }
    this.dense = dense;
    this.sparse = null;
  }

  private assertWritable(): void {
    if (this.frozen) throw new Error('DigestTree: a tree that has been forked is read-only');
  }
}
