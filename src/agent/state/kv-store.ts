// The replicated key/value map: last writer wins by (Lamport clock, writer). Deletions are
// tombstones (value null) kept for tombstoneTtlMs after their write time so a late copy of the old
// value cannot resurrect the key; after that they are dropped and no longer accepted.
//
// A store can fork(): the fork shares the parent's entries and keeps only its own differences, so
// the simulator's thousands of nodes can start from one big shared map. Forking freezes the parent.
import type { KvEntry } from '../wire/messages.js';

export type KvChangeListener = (key: string, entry: KvEntry | null) => void;

export interface KvStoreOptions {
  tombstoneTtlMs: number;
  /** Called after every change of the stored entry of a key (null: the key was removed). */
  onChange?: KvChangeListener;
}

export type KvApplyResult = 'applied' | 'stale' | 'expired';

function compareBytes(a: Uint8Array | null, b: Uint8Array | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * The winner of two writes of the same key: higher clock, then higher writer name. The remaining
 * comparisons only matter for conflicting writes with the same (clock, writer), which a correct
 * writer never produces; they keep the merge commutative anyway. Returns a on full equality.
 */
export function newerKv(a: KvEntry, b: KvEntry): KvEntry {
  if (a.clock !== b.clock) return a.clock > b.clock ? a : b;
  if (a.writer !== b.writer) return a.writer > b.writer ? a : b;
  if (a.at !== b.at) return a.at > b.at ? a : b;
  return compareBytes(a.value, b.value) >= 0 ? a : b;
}

export class KvStore {
  private readonly base: KvStore | null;
  /** This store's entries, or for a fork its differences (null: removed here, present in base). */
  private readonly own = new Map<string, KvEntry | null>();
  /** Tombstones by key, for expire() without scanning every entry; a fork copies the parent's. */
  private readonly tombstones: Map<string, number>;
  private ttl: number;
  private readonly onChange: KvChangeListener | undefined;
  private clock = 0;
  private count = 0;
  private frozen = false;

  constructor(options: KvStoreOptions, base: KvStore | null = null) {
    this.ttl = options.tombstoneTtlMs;
    this.onChange = options.onChange;
    this.base = base;
    this.tombstones = new Map(base?.tombstones);
    if (base) {
      this.clock = base.clock;
      this.count = base.count;
    }
  }

  /** O(tombstones) copy-on-write child; this store becomes read-only. */
  fork(options: Partial<KvStoreOptions> = {}): KvStore {
    this.frozen = true;
    return new KvStore(
      { tombstoneTtlMs: options.tombstoneTtlMs ?? this.ttl, onChange: options.onChange },
      this,
    );
  }

  /** Changes the tombstone lifetime (hot reload); applies to existing tombstones too. */
  setTombstoneTtl(ms: number): void {
    this.ttl = ms;
  }

  get size(): number {
    return this.count;
  }

  /** The local Lamport clock: the highest clock written or seen. */
  get lamport(): number {
    return this.clock;
  }

  get(key: string): KvEntry | undefined {
    for (let s: KvStore | null = this; s !== null; s = s.base) {
      const e = s.own.get(key);
      if (e !== undefined) return e ?? undefined;
    }
    return undefined;
  }

  *entries(): IterableIterator<KvEntry> {
    for (const e of this.own.values()) if (e !== null) yield e;
    const shadowed = new Set(this.own.keys());
    for (let s = this.base; s !== null; s = s.base) {
      for (const [key, e] of s.own) {
        if (shadowed.has(key)) continue;
        shadowed.add(key);
        if (e !== null) yield e;
      }
    }
  }

  put(key: string, value: Uint8Array, writer: string, now: number): KvEntry {
    return this.write({ key, value, clock: this.clock + 1, writer, at: now });
  }

  delete(key: string, writer: string, now: number): KvEntry {
    return this.write({ key, value: null, clock: this.clock + 1, writer, at: now });
  }

  apply(entry: KvEntry, now: number): KvApplyResult {
    if (entry.clock > this.clock) this.clock = entry.clock;
    if (entry.value === null && now - entry.at > this.ttl) return 'expired';
    const current = this.get(entry.key);
    if (current !== undefined && (current === entry || newerKv(current, entry) === current)) return 'stale';
    this.write(entry);
    return 'applied';
  }

  /** Removes tombstones older than the TTL; returns their keys. */
  expire(now: number): string[] {
    const removed: string[] = [];
    for (const [key, at] of this.tombstones) if (now - at > this.ttl) removed.push(key);
    for (const key of removed) this.remove(key);
    return removed;
  }

  private write(entry: KvEntry): KvEntry {
    this.assertWritable();
    if (entry.clock > this.clock) this.clock = entry.clock;
    if (this.get(entry.key) === undefined) this.count++;
    this.own.set(entry.key, entry);
    if (entry.value === null) this.tombstones.set(entry.key, entry.at);
    else this.tombstones.delete(entry.key);
    this.onChange?.(entry.key, entry);
    return entry;
  }

  private remove(key: string): void {
    this.assertWritable();
    if (this.get(key) === undefined) return;
    this.count--;
    if (this.base?.get(key) !== undefined) this.own.set(key, null);
    else this.own.delete(key);
    this.tombstones.delete(key);
    this.onChange?.(key, null);
  }

  private assertWritable(): void {
    if (this.frozen) throw new Error('KvStore: a store that has been forked is read-only');
  }
}
