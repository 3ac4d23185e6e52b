// Replicated data: the key/value store and user events, with their payload checks. Local writes
// are announced (rumor + direct mail); writes from peers are applied last-writer-wins and passed on.
import type { EngineConfig } from '../config/engine-schema.js';
import type { DigestTree } from '../state/digest-tree.js';
import { hashKvEntry, kvKey } from '../state/entry-hash.js';
import { EventDedupe } from '../state/event-dedupe.js';
import type { KvStore } from '../state/kv-store.js';
import type { KvEntry, Message, RumorMeta } from '../wire/messages.js';
import { localRumor } from './membership.js';
import { relayed, saneKv, saneName } from './record-bounds.js';
import type { CoreEvent, Via } from './types.js';

export interface ReplicatedDataHost {
  readonly name: string;
  readonly tree: DigestTree;
  config(): EngineConfig;
  /** This process's generation (user event ids are unique per generation). */
  generation(): number;
  event(e: CoreEvent): void;
  rumor(m: Message): void;
  announce(m: Message, now: number): void;
  /** An entry from a peer was outside sane bounds and was dropped; `detail` says why. */
  badRecord(detail: string): void;
}

export interface FireOptions {
  /** Default true: also hand the event to every peer by direct mail. */
  directMail?: boolean;
}

export class ReplicatedData {
  private readonly events: EventDedupe;
  private eventSeq = 0;

  constructor(
    private readonly host: ReplicatedDataHost,
    readonly kv: KvStore,
  ) {
    const cfg = host.config();
    this.events = new EventDedupe({ forgetAfterMs: cfg.deadReapMs, maxOrigins: cfg.eventDedupeMaxOrigins });
    this.reconfigure(cfg);
  }

  reconfigure(cfg: EngineConfig): void {
    this.kv.setTombstoneTtl(cfg.tombstoneTtlMs);
    this.kv.setLimits(cfg.kvMaxEntries, cfg.kvMaxBytes);
    this.events.forgetAfterMs = cfg.deadReapMs;
    this.events.setLimits(cfg.eventDedupeMaxOrigins, cfg.eventDedupeMaxPendingPerOrigin);
  }

  get(key: string): KvEntry | undefined {
    return this.kv.get(key);
  }

  /** Live entries (no tombstones) whose key starts with `prefix`, in key order. */
  list(prefix: string): KvEntry[] {
    const out = [...this.kv.entries()].filter((e) => e.value !== null && e.key.startsWith(prefix));
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** `directMail: false` spreads the event by rumor mongering alone (the demo shows multi-hop spread). */
  fireEvent(name: string, payload: Uint8Array, now: number, { directMail = true }: FireOptions = {}): void {
    this.checkPayload(payload);
    const seq = ++this.eventSeq;
    const generation = this.host.generation();
    this.firstTime(this.host.name, generation, seq, now);
    const rumor = localRumor(this.host.name, now);
    const m: Message = { t: 'user-event', rumor, generation, seq, name, payload };
    this.host.event({ type: 'user-event', origin: this.host.name, name, payload, via: 'local', rumor });
    if (directMail) this.host.announce(m, now);
    else this.host.rumor(m);
  }

  put(key: string, value: Uint8Array, now: number): KvEntry {
    this.checkPayload(value);
    return this.local(
      this.counted(() => this.kv.put(key, value, this.host.name, Math.floor(now))),
      now,
    );
  }

  delete(key: string, now: number): KvEntry {
    return this.local(
      this.counted(() => this.kv.delete(key, this.host.name, Math.floor(now))),
      now,
    );
  }

  onUserEvent(m: Extract<Message, { t: 'user-event' }>, via: Via, now: number): void {
    // Its origin is a node name, which GRAPEVINE_ORIGIN and event subscribers show: the same rule.
    if (!saneName(m.rumor.origin)) {
      this.host.badRecord(`user event from ${m.rumor.origin} (${via}): its origin is not a member name`);
      return;
    }
    if (!this.firstTime(m.rumor.origin, m.generation, m.seq, now)) return;
    const rumor = relayed(m.rumor);
    this.host.event({
      type: 'user-event',
      origin: m.rumor.origin,
      name: m.name,
      payload: m.payload,
      via,
      rumor,
    });
    this.host.rumor({ ...m, rumor });
  }

  /** Merges an entry from a peer; passes it on when it came by rumor (`spread`). */
  apply(entry: KvEntry, rumor: RumorMeta | null, via: Via, now: number, spread: boolean): boolean {
    if (via !== 'local' && !saneKv(entry, now)) {
      this.host.badRecord(`key/value entry from ${entry.writer} (${via}): outside sane bounds`);
      return false;
    }
    const result = this.kv.apply(entry, now);
    if (result === 'full' || result === 'invalid') {
      this.refused(
        'kv',
        result,
        `key/value entry ${JSON.stringify(entry.key)} from ${entry.writer} (${via})`,
      );
    }
    if (result !== 'applied') return false;
    const stored = this.kv.get(entry.key)!;
    this.host.tree.set(kvKey(entry.key), hashKvEntry(stored));
    this.host.event({ type: 'kv', key: entry.key, value: entry.value, writer: entry.writer, via, rumor });
    if (spread && rumor) this.host.rumor({ t: 'kv', rumor, entry });
    return true;
  }

  /** Drops expired tombstones and old event ids. */
  expire(now: number): void {
    for (const key of this.kv.expire(now)) this.host.tree.delete(kvKey(key));
    this.events.prune(now);
  }

  /** A local write; a refusal because the store is full is reported before the RangeError goes on. */
  private counted(write: () => KvEntry): KvEntry {
    const full = this.kv.refused.full;
    try {
      return write();
    } catch (err) {
      if (this.kv.refused.full > full) this.refused('kv', 'full', (err as Error).message);
      throw err;
    }
  }

  /** De-duplication, reporting what its bounds cost this time. */
  private firstTime(origin: string, generation: number, seq: number, now: number): boolean {
    const { evictedOrigins, skippedGaps } = this.events.dropped;
    const first = this.events.firstTime(origin, generation, seq, now);
    const { dropped } = this.events;
    if (dropped.evictedOrigins > evictedOrigins) {
      this.refused(
        'event-dedupe',
        'evicted-origin',
        `forgot ${dropped.evictedOrigins - evictedOrigins} event sender(s) over eventDedupeMaxOrigins (${this.events.trackedOrigins} tracked)`,
      );
    }
    if (dropped.skippedGaps > skippedGaps) {
      this.refused(
        'event-dedupe',
        'skipped-gap',
        `gave up waiting for missing events of ${origin} over eventDedupeMaxPendingPerOrigin`,
      );
    }
    return first;
  }

  private refused(resource: 'kv' | 'event-dedupe', reason: string, detail: string): void {
    this.host.event({ type: 'refused', resource, reason, detail });
  }

  private local(entry: KvEntry, now: number): KvEntry {
    this.host.tree.set(kvKey(entry.key), hashKvEntry(entry));
    const rumor = localRumor(this.host.name, now);
    this.host.event({
      type: 'kv',
      key: entry.key,
      value: entry.value,
      writer: this.host.name,
      via: 'local',
      rumor,
    });
    this.host.announce({ t: 'kv', rumor, entry }, now);
    return entry;
  }

  private checkPayload(payload: Uint8Array): void {
    const max = this.host.config().maxPayloadBytes;
    if (payload.length > max) {
      throw new RangeError(`payload is ${payload.length} bytes; the limit (maxPayloadBytes) is ${max}`);
    }
  }
}
