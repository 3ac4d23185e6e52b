// A key/value store that forks for the simulator's shared pre-converged start: the fork shares the
// parent's entries and keeps only its own differences (O(tombstones) to fork). Forking freezes the
// parent. The store's rules (validation, last-writer-wins, limits, tombstones) are state/kv-store.ts;
// only where entries live differs.
import { type KvEntryStorage, KvStore, type KvStoreOptions, type KvStoreStart } from '../state/kv-store.js';
import type { KvEntry } from '../wire/messages.js';

/** Entries over a read-only base: this layer's differences (null: removed here, present below). */
export class CowKvStorage implements KvEntryStorage {
  private readonly own = new Map<string, KvEntry | null>();

  constructor(private readonly base: KvEntryStorage) {}

  get(key: string): KvEntry | undefined {
    const e = this.own.get(key);
    return e === undefined ? this.base.get(key) : (e ?? undefined);
  }

  set(entry: KvEntry): void {
    this.own.set(entry.key, entry);
  }

  remove(key: string): void {
    if (this.base.get(key) !== undefined) this.own.set(key, null);
    else this.own.delete(key);
  }

  *entries(): IterableIterator<KvEntry> {
    for (const e of this.own.values()) if (e !== null) yield e;
    for (const e of this.base.entries()) if (!this.own.has(e.key)) yield e;
  }
}

export class ForkableKvStore extends KvStore {
  private frozen = false;

  constructor(options: KvStoreOptions, start?: KvStoreStart) {
    super(options, start);
  }

  /** Copy-on-write child; this store becomes read-only. */
  fork(options: Partial<KvStoreOptions> = {}): ForkableKvStore {
    this.frozen = true;
    const start = this.startState();
    return new ForkableKvStore(
      {
        tombstoneTtlMs: options.tombstoneTtlMs ?? this.ttl,
        onChange: options.onChange,
        maxEntries: options.maxEntries ?? this.maxEntries,
        maxBytes: options.maxBytes ?? this.maxBytes,
      },
      { ...start, storage: new CowKvStorage(start.storage) },
    );
  }

  override put(key: string, value: Uint8Array, writer: string, now: number): KvEntry {
    this.assertWritable();
    return super.put(key, value, writer, now);
  }

  override delete(key: string, writer: string, now: number): KvEntry {
    this.assertWritable();
    return super.delete(key, writer, now);
  }

  override apply(entry: KvEntry, now: number): ReturnType<KvStore['apply']> {
    this.assertWritable();
    return super.apply(entry, now);
  }

  override expire(now: number): string[] {
    this.assertWritable();
    return super.expire(now);
  }

  private assertWritable(): void {
    if (this.frozen) throw new Error('KvStore: a store that has been forked is read-only');
  }
}
