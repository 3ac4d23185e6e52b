// The last version of each member this node reaped, so a copy of the same (or an older) record that
// a peer still holds — it learned the death later and reaps later — is not taken back in. Without
// it, two nodes that learned a death a few seconds apart would hand the record back and forth
// forever through anti-entropy. Bounded: beyond `max` names the oldest is forgotten.
import { compareMemberVersion } from '../state/member-merge.js';
import type { MemberRecord } from '../wire/messages.js';

export const MAX_REAPED = 4_096;

export class ReapedMembers {
  private readonly last = new Map<string, MemberRecord>();

  constructor(private readonly max = MAX_REAPED) {}

  get size(): number {
    return this.last.size;
  }

  add(rec: MemberRecord): void {
    this.last.delete(rec.name);
    this.last.set(rec.name, rec);
    if (this.last.size > this.max) this.last.delete(this.last.keys().next().value as string);
  }

  /** Whether `rec` is no newer than the version reaped here (a late copy, not news). */
  covers(rec: MemberRecord): boolean {
    const old = this.last.get(rec.name);
    return old !== undefined && compareMemberVersion(rec, old) <= 0;
  }

  forget(name: string): void {
    this.last.delete(name);
  }
}
