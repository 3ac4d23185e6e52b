// Sane bounds for state that peers send us. A record outside them is dropped and counted
// ('bad-record'), never merged: a forged incarnation of Number.MAX_SAFE_INTEGER would otherwise
// force a refutation with a value that cannot be encoded, and junk names would become members.
import { parseAddr } from '../../net/address.js';
import { LIMITS } from '../wire/limits.js';
import { encodedTagBytes } from '../wire/limits-check.js';
import type { KvEntry, MemberRecord, RumorMeta } from '../wire/messages.js';

/** Generations are start stamps in ms; 2^50 ms is the year 37,000, far beyond any real clock. */
export const MAX_GENERATION = 2 ** 50;
/** Far more refutations than a member makes in its life, and always +1-able within the codec. */
export const MAX_INCARNATION = 2 ** 32;
/** Key/value Lamport clocks: bounded like generations, so a forged clock cannot saturate ours. */
export const MAX_KV_CLOCK = 2 ** 50;

/** C0 and C1 controls, DEL, and U+FFFD (what invalid UTF-8 decodes to). */
function badNameChar(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0xfffd;
}

/** A member or writer name: non-empty (the codec bounds its length), no control characters. */
export function saneName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) if (badNameChar(name.charCodeAt(i))) return false;
  return true;
}

export function saneAddr(addr: string): boolean {
  try {
    parseAddr(addr);
    return true;
  } catch {
    return false;
  }
}

/** A non-negative safe integer no larger than `max`. */
function counter(v: number, max: number): boolean {
  return Number.isSafeInteger(v) && v >= 0 && v <= max;
}

export function saneMember(r: MemberRecord): boolean {
  return (
    saneName(r.name) &&
    saneAddr(r.addr) &&
    counter(r.generation, MAX_GENERATION) &&
    counter(r.incarnation, MAX_INCARNATION)
  );
}

/** A rumor passed on one hop further; a peer's hop count at the codec's limit stays there (encodable). */
export function relayed(rumor: RumorMeta): RumorMeta {
  return { ...rumor, hops: Math.min(rumor.hops + 1, LIMITS.hops) };
}

export function saneKv(e: KvEntry): boolean {
  return saneName(e.writer) && counter(e.clock, MAX_KV_CLOCK) && counter(e.at, MAX_GENERATION);
}

/** Local tags must fit maxTagBytes (what a record may carry); throws RangeError otherwise. */
export function checkTags(tags: Record<string, string>, max: number): void {
  const size = encodedTagBytes(tags);
  if (size > max) throw new RangeError(`tags take ${size} bytes; the limit (maxTagBytes) is ${max}`);
}
