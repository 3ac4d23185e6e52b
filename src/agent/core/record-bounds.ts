// Sane bounds for state that peers send us. A record outside them is dropped and counted
// ('bad-record'), never merged: a forged incarnation of Number.MAX_SAFE_INTEGER would otherwise
// force a refutation with a value that cannot be encoded, and junk names (fuzzed bytes, control
// characters, look-alike Unicode) would become members. Generations are bounded far out, relative to
// our clock: a peer whose clock runs ahead is still a peer, but no fixed ceiling exists that a
// forged record could sit on where its owner cannot outbid it.
import { parseAddr } from '../../net/address.js';
import { LIMITS } from '../wire/limits.js';
import { encodedTagBytes, escapeControl } from '../wire/limits-check.js';
import { isMemberName, memberNameProblem } from '../wire/member-name.js';
import type { KvEntry, MemberRecord, RumorMeta } from '../wire/messages.js';

/** Generations are start stamps in ms; 2^50 ms is the year 37,000, far beyond any real clock. */
export const MAX_GENERATION = 2 ** 50;
/**
 * How far ahead of our clock a peer's generation may be: 100 years, far more than any wrong clock.
 * A fixed ceiling alone let one forged `{generation: 2^50, incarnation: 2^32, state: dead}` kill a
 * member for good (its owner could not go above it); a ceiling that moves with the clock leaves the
 * owner generation + 1 as soon as a millisecond has passed.
 */
export const MAX_GENERATION_AHEAD_MS = 100 * 365.25 * 86_400_000;
/** Far more refutations than a member makes in its life, and always +1-able within the codec. */
export const MAX_INCARNATION = 2 ** 32;
/**
 * Key/value Lamport clocks from peers: at most the codec's limit (2^48) and at most our clock (epoch
 * ms) plus MAX_GENERATION_AHEAD_MS. A Lamport clock counts writes, and no cluster writes more than
 * once per millisecond since 1970 plus a century, so every real clock fits; a forged one can raise
 * ours to about 5 × 10^12 at most, leaving 2^48 − that ≈ 2.8 × 10^14 writes. With the fixed ceiling
 * alone, one forged entry at 2^48 stopped every later write on every node.
 */
export function maxKvClock(now: number): number {
  return Math.min(LIMITS.kvClock, now + MAX_GENERATION_AHEAD_MS);
}

/** A member or writer name: the member-name rule (ASCII letters, digits, `-._:`; see member-name.ts). */
export function saneName(name: string): boolean {
  return isMemberName(name);
}

/** HOST:PORT with a port a datagram can be sent to (1..65535). */
export function saneAddr(addr: string): boolean {
  try {
    return parseAddr(addr).port > 0;
  } catch {
    return false;
  }
}

/** A non-negative safe integer no larger than `max`. */
function counter(v: number, max: number): boolean {
  return Number.isSafeInteger(v) && v >= 0 && v <= max;
}

/**
 * Why a member record from a peer is outside sane bounds (for the log line), or null if it is not.
 * `now`: this node's clock (epoch ms), which bounds generations (MAX_GENERATION_AHEAD_MS).
 */
export function memberProblem(r: MemberRecord, now: number): string | null {
  const name = memberNameProblem(r.name);
  if (name !== null) return `name ${name}`;
  if (!saneAddr(r.addr))
    return `member ${r.name}: address '${escapeControl(r.addr, 80)}' is not HOST:PORT with a port from 1 to 65535`;
  if (!counter(r.generation, Math.min(MAX_GENERATION, now + MAX_GENERATION_AHEAD_MS)))
    return `member ${r.name}: generation ${r.generation} is negative or more than 100 years ahead of this node's clock`;
  if (!counter(r.incarnation, MAX_INCARNATION))
    return `member ${r.name}: incarnation ${r.incarnation} is outside 0..2^32`;
  return null;
}

export function saneMember(r: MemberRecord, now: number): boolean {
  return memberProblem(r, now) === null;
}

/** A rumor passed on one hop further; a peer's hop count at the codec's limit stays there (encodable). */
export function relayed(rumor: RumorMeta): RumorMeta {
  return { ...rumor, hops: Math.min(rumor.hops + 1, LIMITS.hops) };
}

/** `now`: this node's clock (epoch ms), which bounds the entry's Lamport clock (maxKvClock). */
export function saneKv(e: KvEntry, now: number): boolean {
  return saneName(e.writer) && counter(e.clock, maxKvClock(now)) && counter(e.at, MAX_GENERATION);
}

/** Local tags must fit maxTagBytes (what a record may carry); throws RangeError otherwise. */
export function checkTags(tags: Record<string, string>, max: number): void {
  const size = encodedTagBytes(tags);
  if (size > max) throw new RangeError(`tags take ${size} bytes; the limit (maxTagBytes) is ${max}`);
}
