// A member table over one immutable start shared by many simulated nodes: a node stores only its
// differences from the start (overlay) and the members it learned beyond it (a plain MemberTable,
// slotted after the start's members).
import {
  type MemberEntry,
  type MemberStore,
  MemberTable,
  type StateCounts,
  sampleMembers,
} from '../core/member-table.js';
import type { Rng } from '../core/types.js';
import type { MemberRecord } from '../wire/messages.js';

export interface SharedMembers {
  readonly names: readonly string[];
  readonly entries: ReadonlyMap<string, MemberEntry>;
}

export function shareMembers(records: readonly MemberRecord[]): SharedMembers {
  const entries = new Map<string, MemberEntry>();
  for (const record of records) entries.set(record.name, Object.freeze({ record, changedAt: 0 }));
  return { names: records.map((r) => r.name), entries };
}

export class SharedMemberTable implements MemberStore {
  /** Changes to members of the base; null marks a base member removed here. */
  private readonly overlay = new Map<string, MemberEntry | null>();
  /** Members not in the base. */
  private readonly extra = new MemberTable();
  private present: number;
  readonly counts: StateCounts = { alive: 0, suspect: 0, dead: 0, left: 0 };

  constructor(private readonly base: SharedMembers) {
    for (const e of base.entries.values()) this.counts[e.record.state]++;
    this.present = base.entries.size;
  }

  get size(): number {
    return this.present;
  }

  get slotCount(): number {
    return this.base.names.length + this.extra.slotCount;
  }

  nameAt(slot: number): string | undefined {
    const baseLen = this.base.names.length;
    return slot < baseLen ? this.base.names[slot] : this.extra.nameAt(slot - baseLen);
  }

  get(name: string): MemberEntry | undefined {
    // The overlay only holds base members, `extra` only others: two lookups for the common case.
    const local = this.overlay.get(name);
    if (local !== undefined) return local ?? undefined;
    return this.base.entries.get(name) ?? this.extra.get(name);
  }

  set(entry: MemberEntry): void {
    const name = entry.record.name;
    const old = this.get(name);
    if (old) this.counts[old.record.state]--;
    else this.present++;
    this.counts[entry.record.state]++;
    if (this.base.entries.has(name)) this.overlay.set(name, entry);
    else this.extra.set(entry);
  }

  delete(name: string): boolean {
    const old = this.get(name);
    if (!old) return false;
    this.counts[old.record.state]--;
    this.present--;
    if (this.base.entries.has(name)) this.overlay.set(name, null);
    else this.extra.delete(name);
    return true;
  }

  *entries(): IterableIterator<MemberEntry> {
    const n = this.slotCount;
    for (let slot = 0; slot < n; slot++) {
      const entry = this.get(this.nameAt(slot)!);
      if (entry) yield entry;
    }
  }

  sample(k: number, rng: Rng, ok: (e: MemberEntry) => boolean): MemberEntry[] {
    return sampleMembers(this, k, rng, ok);
  }
}
