// The local membership view: members by name, each in a stable slot (for round-robin probing and
// cheap random sampling), with counts per state. The core reads and writes it through MemberStore;
// an agent uses MemberTable, the simulator a copy-on-write table over one shared start
// (sim/shared-member-table.ts), so 10,000 simulated nodes do not need 10^8 member copies.
import type { MemberRecord, MemberState } from '../wire/messages.js';
import type { Rng } from './types.js';

export interface MemberEntry {
  record: MemberRecord;
  /** Local time of the last state change (for reaping and gossip-to-the-dead). */
  changedAt: number;
}

export type StateCounts = Record<MemberState, number>;

/** Alive or suspect: a member still probed, gossiped to and counted in the view. */
export function isLive(state: MemberState): boolean {
  return state === 'alive' || state === 'suspect';
}

/** A live member other than `self`: one to probe, exchange with or mail. */
export function isLivePeer(e: MemberEntry, self: string): boolean {
  return e.record.name !== self && isLive(e.record.state);
}

/** What the core needs of a member table. */
export interface MemberStore {
  readonly size: number;
  /** Slots are stable indices for round-robin probing; some may be empty (removed members). */
  readonly slotCount: number;
  readonly counts: Readonly<StateCounts>;
  nameAt(slot: number): string | undefined;
  get(name: string): MemberEntry | undefined;
  set(entry: MemberEntry): void;
  delete(name: string): boolean;
  entries(): IterableIterator<MemberEntry>;
  /** Up to k distinct members accepted by `ok`, uniformly at random. */
  sample(k: number, rng: Rng, ok: (e: MemberEntry) => boolean): MemberEntry[];
}

export class MemberTable implements MemberStore {
  private readonly byName = new Map<string, MemberEntry>();
  private readonly names: string[] = [];
  private readonly slotOf = new Map<string, number>();
  readonly counts: StateCounts = { alive: 0, suspect: 0, dead: 0, left: 0 };

  get size(): number {
    return this.byName.size;
  }

  get slotCount(): number {
    return this.names.length;
  }

  nameAt(slot: number): string | undefined {
    return this.names[slot];
  }

  get(name: string): MemberEntry | undefined {
    return this.byName.get(name);
  }

  set(entry: MemberEntry): void {
    const name = entry.record.name;
    const old = this.byName.get(name);
    if (old) this.counts[old.record.state]--;
    else {
      this.slotOf.set(name, this.names.length);
      this.names.push(name);
    }
    this.counts[entry.record.state]++;
    this.byName.set(name, entry);
  }

  delete(name: string): boolean {
    const old = this.byName.get(name);
    if (!old) return false;
    this.counts[old.record.state]--;
    this.byName.delete(name);
    // Swap-remove keeps the slots dense.
    const slot = this.slotOf.get(name)!;
    const last = this.names.pop()!;
    this.slotOf.delete(name);
    if (last !== name) {
      this.names[slot] = last;
      this.slotOf.set(last, slot);
    }
    return true;
  }

  /** In slot order (so sampling stays reproducible). */
  *entries(): IterableIterator<MemberEntry> {
    for (const name of this.names) yield this.byName.get(name)!;
  }

  sample(k: number, rng: Rng, ok: (e: MemberEntry) => boolean): MemberEntry[] {
    return sampleMembers(this, k, rng, ok);
  }
}

/**
 * Up to k distinct members accepted by `ok`, uniformly at random. Samples random slots (cheap in a
 * large view) and falls back to a full scan when acceptable members are rare.
 */
export function sampleMembers(
  table: Pick<MemberStore, 'slotCount' | 'nameAt' | 'get' | 'entries'>,
  k: number,
  rng: Rng,
  ok: (e: MemberEntry) => boolean,
): MemberEntry[] {
  const slots = table.slotCount;
  const out: MemberEntry[] = [];
  if (k <= 0 || slots === 0) return out;
  if (slots > 4 * k + 16) {
    const seen = new Set<string>();
    for (let tries = 0; tries < 4 * k + 16 && out.length < k; tries++) {
      const name = table.nameAt(rng.int(slots));
      if (name === undefined || seen.has(name)) continue;
      seen.add(name);
      const e = table.get(name);
      if (e && ok(e)) out.push(e);
    }
    if (out.length === k) return out;
    out.length = 0;
  }
  // Reservoir sampling over the acceptable members.
  let seenOk = 0;
  for (const e of table.entries()) {
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
