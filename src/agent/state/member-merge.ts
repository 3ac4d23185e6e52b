// The lattice join of member records: (generation, incarnation, state rank) ordered
// lexicographically, newer wins. The content hash breaks ties between records with equal versions
// but different contents (only possible on buggy or adversarial input), so the join stays
// commutative and associative whatever arrives.
import type { MemberRecord, MemberState } from '../wire/messages.js';
import { hashMemberRecord } from './entry-hash.js';
import { compareHash } from './hash64.js';

const RANK: Readonly<Record<MemberState, number>> = { alive: 0, suspect: 1, dead: 2, left: 3 };

export function stateRank(s: MemberState): number {
  return RANK[s];
}

/** Negative when a is older than b, positive when newer, 0 for the same version. */
export function compareMemberVersion(a: MemberRecord, b: MemberRecord): number {
  if (a.generation !== b.generation) return a.generation < b.generation ? -1 : 1;
  if (a.incarnation !== b.incarnation) return a.incarnation < b.incarnation ? -1 : 1;
  return RANK[a.state] - RANK[b.state];
}

/**
 * The total order of the join: version first, then (equal versions, different contents) the
 * content hash, so every node picks the same record. 0 only for equal contents.
 */
export function compareMembers(a: MemberRecord, b: MemberRecord): number {
  const c = compareMemberVersion(a, b);
  if (c !== 0 || a === b) return c;
  return compareHash(hashMemberRecord(a), hashMemberRecord(b));
}

/** The join of two records of the same member; returns one of the two objects unchanged. */
export function newerMember(a: MemberRecord, b: MemberRecord): MemberRecord {
  return compareMembers(a, b) >= 0 ? a : b;
}
