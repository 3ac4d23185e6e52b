// The local membership view. It may start from a SharedView (one immutable snapshot shared by many
// nodes of the simulator) and stores only its own differences, so 10,000 simulated nodes do not
// need 10^8 member copies. A real agent simply starts from an empty view.
import type { MemberRecord, MemberState } from '../wire/messages.js';
import type { Rng } from './types.js';

export interface MemberEntry {
  record: MemberRecord;
  /** Local time of the last state change (for reaping and gossip-to-the-dead). */
  changedAt: number;
}

export interface SharedMembers {
  readonly names: readonly string[];
  readonly entries: ReadonlyMap<string, MemberEntry>;
}

export function shareMembers(records: readonly MemberRecord[]): SharedMembers {
  const entries = new Map<string, MemberEntry>();
  for (const record of records) entries.set(record.name, Object.freeze({ record, changedAt: 0 }));
  return { names: records.map((r) => r.name), entries };
}

export type StateCounts = Record<MemberState, number>;

export class MemberTable {
  private readonly base: SharedMembers | null;
  /** Local differences from the base; null marks a base member removed here. */
  private readonly overlay = new Map<string, MemberEntry | null>();
  /** Members not in the base, in slot order after the base's names. */
  private readonly extra: string[] = [];
  private readonly extraSlot = new Map<string, number>();
  private present = 0;
  readonly counts: StateCounts = { alive: 0, suspect: 0, dead: 0, left: 0 };

  constructor(base: SharedMembers | null = null) {
    this.base = base;
    if (base) {
      for (const e of base.entries.values()) this.counts[e.record.state]++;
      this.present = base.entries.size;
    }
  }

  get size(): number {
    return this.present;
  }

  /** Slots are stable indices for round-robin probing; some may be empty (removed members). */
  get slotCount(): number {
    return (this.base?.names.length ?? 0) + this.extra.length;
  }

  nameAt(slot: number): string | undefined {
    const baseLen = this.base?.names.length ?? 0;
    return slot < baseLen ? this.base?.names[slot] : this.extra[slot - baseLen];
  }

  get(name: string): MemberEntry | undefined {
    const local = this.overlay.get(name);
    if (local !== undefined) return local ?? undefined;
    return this.base?.entries.get(name);
  }

  set(entry: MemberEntry): void {
    const name = entry.record.name;
    const old = this.get(name);
    if (old) this.counts[old.record.state]--;
    else {
      this.present++;
      if (!this.base?.entries.has(name) && !this.extraSlot.has(name)) {
        this.extraSlot.set(name, this.extra.length);
        this.extra.push(name);
      }
    }
    this.counts[entry.record.state]++;
    this.overlay.set(name, entry);
  }

  delete(name: string): boolean {
    const old = this.get(name);
    if (!old) return false;
    this.counts[old.record.state]--;
    this.present--;
    if (this.base?.entries.has(name)) this.overlay.set(name, null);
    else {
      this.overlay.delete(name);
      const slot = this.extraSlot.get(name)!;
      const last = this.extra.pop()!;
      this.extraSlot.delete(name);
      if (last !== name) {
        this.extra[slot] = last;
        this.extraSlot.set(last, slot);
      }
    }
    return true;
  }

  *entries(): IterableIterator<MemberEntry> {
    const n = this.slotCount;
    for (let slot = 0; slot < n; slot++) {
      const entry = this.get(this.nameAt(slot)!);
      if (entry) yield entry;
    }
  }

  /**
   * Up to k distinct members accepted by `ok`, uniformly at random. Samples random slots (cheap in a
   * large view) and falls back to a full scan when acceptable members are rare.
   */
  sample(k: number, rng: Rng, ok: (e: MemberEntry) => boolean): MemberEntry[] {
    const slots = this.slotCount;
    const out: MemberEntry[] = [];
    if (k <= 0 || slots === 0) return out;
    if (slots > 4 * k + 16) {
      const seen = new Set<string>();
      for (let tries = 0; tries < 4 * k + 16 && out.length < k; tries++) {
        const name = this.nameAt(rng.int(slots))!;
        if (seen.has(name)) continue;
        seen.add(name);
        const e = this.get(name);
        if (e && ok(e)) out.push(e);
      }
      if (out.length === k) return out;
      out.length = 0;
    }
    // Reservoir sampling over the acceptable members.
    let seenOk = 0;
    for (const e of this.entries()) {
      if (!ok(e)) continue;
      seenOk++;
      if (out.length < k) out.push(e);
      else {
        const j = rng.int(seenOk);
        if (j < k) out[j] = e;
      }
    }
    return out;
  }
}
