// The replicated key/value map: last writer wins by (Lamport clock, writer). Deletions are
// tombstones (value null) kept for tombstoneTtlMs after their write time so a late copy of the old
// value cannot resurrect the key; after that they are dropped and no longer accepted.
//
// Where entries are kept is a KvEntryStorage: a Map in an agent; the simulator supplies a
// copy-on-write storage (sim/cow-kv-store.ts) so thousands of nodes can start from one shared map.
//
// Every write is validated before anything changes (a refused write changes nothing, not even the
// Lamport clock): keys, values and writers within the codec's LIMITS, clocks within 1..LIMITS.kvClock,
// and the store within maxEntries entries and maxBytes bytes (tombstones included). Local writes that
// break a limit throw RangeError; peer entries that do are refused and counted in `refused`.
import { LIMITS } from '../wire/limits.js';
import { kvClockProblem, kvKeyProblem, stringProblem } from '../wire/limits-check.js';
import type { KvEntry } from '../wire/messages.js';

export type KvChangeListener = (key: string, entry: KvEntry | null) => void;

export interface KvStoreOptions {
  tombstoneTtlMs: number;
  /** Most entries (values and tombstones) held. Default DEFAULT_KV_MAX_ENTRIES. */
  maxEntries?: number;
  /** Most bytes of keys and values held. Default DEFAULT_KV_MAX_BYTES. */
  maxBytes?: number;
  /** Called after every change of the stored entry of a key (null: the key was removed). */
  onChange?: KvChangeListener;
}

export const DEFAULT_KV_MAX_ENTRIES = 250_000;
export const DEFAULT_KV_MAX_BYTES = 64 * 1024 * 1024;

/** invalid: outside the codec's limits (refused, counted); full: the store is at its bound. */
export type KvApplyResult = 'applied' | 'stale' | 'expired' | 'invalid' | 'full';

export interface KvRefusals {
  /** Peer entries with a key, value, writer or clock outside the limits. */
  invalid: number;
  /** Writes (local or peer) of a new key or a larger value refused because the store is full. */
  full: number;
}

/** Bytes an entry is charged for: its key and its value. */
function entryBytes(e: KvEntry): number {
  return Buffer.byteLength(e.key, 'utf8') + (e.value?.length ?? 0);
}

/** Why a peer's entry cannot be stored, or null. */
export function kvEntryProblem(e: KvEntry): string | null {
  const problem =
    kvKeyProblem(e.key) ??
    stringProblem('writer', e.writer, LIMITS.name) ??
    kvClockProblem(e.clock) ??
    (e.value !== null && e.value.length > LIMITS.payload
      ? `value is ${e.value.length} bytes; the limit is ${LIMITS.payload} bytes`
      : null);
  if (problem) return problem;
  if (!Number.isSafeInteger(e.at) || e.at < 0) return `write time ${e.at} is not a valid timestamp`;
  return null;
}

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

/** Where a KvStore keeps its entries. */
export interface KvEntryStorage {
  get(key: string): KvEntry | undefined;
  set(entry: KvEntry): void;
  remove(key: string): void;
  entries(): IterableIterator<KvEntry>;
}

/** A store that starts with entries already held (and their totals, so nothing is rescanned). */
export interface KvStoreStart {
  storage: KvEntryStorage;
  clock: number;
  count: number;
  bytes: number;
  tombstones: ReadonlyMap<string, number>;
}

class MapStorage implements KvEntryStorage {
  private readonly map = new Map<string, KvEntry>();
  get(key: string): KvEntry | undefined {
    return this.map.get(key);
  }
  set(entry: KvEntry): void {
    this.map.set(entry.key, entry);
  }
  remove(key: string): void {
    this.map.delete(key);
  }
  entries(): IterableIterator<KvEntry> {
    return this.map.values();
  }
}

export class KvStore {
  private readonly storage: KvEntryStorage;
  /** Tombstones by key, for expire() without scanning every entry. */
  private readonly tombstones: Map<string, number>;
  protected ttl: number;
  private readonly onChange: KvChangeListener | undefined;
  private clock = 0;
  private count = 0;
  private bytes = 0;
  protected maxEntries: number;
  protected maxBytes: number;
  readonly refused: KvRefusals = { invalid: 0, full: 0 };

  constructor(options: KvStoreOptions, start?: KvStoreStart) {
    this.ttl = options.tombstoneTtlMs;
    this.onChange = options.onChange;
    this.maxEntries = options.maxEntries ?? DEFAULT_KV_MAX_ENTRIES;
    this.maxBytes = options.maxBytes ?? DEFAULT_KV_MAX_BYTES;
    this.storage = start?.storage ?? new MapStorage();
    this.tombstones = new Map(start?.tombstones);
    if (start) {
      this.clock = start.clock;
      this.count = start.count;
      this.bytes = start.bytes;
    }
  }

  /** What a store sharing these entries starts from (the storage itself is the caller's to wrap). */
  protected startState(): KvStoreStart {
    const { storage, clock, count, bytes, tombstones } = this;
    return { storage, clock, count, bytes, tombstones };
  }

  /**
   * Changes the bounds (config, hot reload). Lowering them below what is held removes nothing: new
   * keys and larger values are refused until deletions bring the store back under them.
   */
  setLimits(maxEntries: number, maxBytes: number): void {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  /** Changes the tombstone lifetime (hot reload); applies to existing tombstones too. */
  setTombstoneTtl(ms: number): void {
    this.ttl = ms;
  }

  get size(): number {
    return this.count;
  }

  /** Bytes of keys and values held (what maxBytes bounds). */
  get byteSize(): number {
    return this.bytes;
  }

  /** The local Lamport clock: the highest clock written or seen. */
  get lamport(): number {
    return this.clock;
  }

  get(key: string): KvEntry | undefined {
    return this.storage.get(key);
  }

  entries(): IterableIterator<KvEntry> {
    return this.storage.entries();
  }

  /** A local write; throws RangeError (and changes nothing) when it breaks a limit. */
  put(key: string, value: Uint8Array, writer: string, now: number): KvEntry {
    return this.writeLocal({ key, value, clock: this.clock + 1, writer, at: now });
  }

  /** A local deletion (tombstone); throws RangeError (and changes nothing) when it breaks a limit. */
  delete(key: string, writer: string, now: number): KvEntry {
    return this.writeLocal({ key, value: null, clock: this.clock + 1, writer, at: now });
  }

  apply(entry: KvEntry, now: number): KvApplyResult {
    // Validated before the clock moves: a refused entry must not poison later local writes.
    if (kvEntryProblem(entry) !== null) {
      this.refused.invalid++;
      return 'invalid';
    }
    if (entry.clock > this.clock) this.clock = entry.clock;
    if (entry.value === null && now - entry.at > this.ttl) return 'expired';
    const current = this.get(entry.key);
    if (current !== undefined && (current === entry || newerKv(current, entry) === current)) return 'stale';
    if (this.capacityProblem(entry, current) !== null) {
      this.refused.full++;
      return 'full';
    }
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

  private writeLocal(entry: KvEntry): KvEntry {
    const problem = kvEntryProblem(entry);
    if (problem !== null) {
      throw new RangeError(
        entry.clock > LIMITS.kvClock
          ? `the key/value clock is at its limit (${LIMITS.kvClock}); no further writes are possible`
          : problem,
      );
    }
    const capacity = this.capacityProblem(entry, this.get(entry.key));
    if (capacity !== null) {
      this.refused.full++;
      throw new RangeError(capacity);
    }
    return this.write(entry);
  }

  /** Why storing `entry` over `current` would exceed maxEntries or maxBytes, or null. */
  private capacityProblem(entry: KvEntry, current: KvEntry | undefined): string | null {
    if (current === undefined && this.count + 1 > this.maxEntries)
      return `the key/value store is full (${this.count} entries; the limit is ${this.maxEntries}): delete keys first`;
    const bytes = this.bytes - (current ? entryBytes(current) : 0) + entryBytes(entry);
    if (bytes > this.maxBytes && bytes > this.bytes)
      return `the key/value store is full (${this.bytes} bytes; the limit is ${this.maxBytes}): delete keys first`;
    return null;
  }

  private write(entry: KvEntry): KvEntry {
    if (entry.clock > this.clock) this.clock = entry.clock;
    const current = this.get(entry.key);
    if (current === undefined) this.count++;
    this.bytes += entryBytes(entry) - (current ? entryBytes(current) : 0);
    this.storage.set(entry);
    if (entry.value === null) this.tombstones.set(entry.key, entry.at);
    else this.tombstones.delete(entry.key);
    this.onChange?.(entry.key, entry);
    return entry;
  }

  private remove(key: string): void {
    const current = this.get(key);
    if (current === undefined) return;
    this.count--;
    this.bytes -= entryBytes(current);
    this.storage.remove(key);
    this.tombstones.delete(key);
    this.onChange?.(key, null);
  }
}
