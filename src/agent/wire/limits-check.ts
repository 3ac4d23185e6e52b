// Checks of user- and peer-supplied values against LIMITS, run before any state changes. Each
// returns a problem sentence (what is wrong and the limit) or null; callers turn it into their own
// error (a RangeError for the API's 422, a config problem, a refused peer entry).
import { LIMITS } from './limits.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** A string field: non-empty, valid UTF-16 (encodable as UTF-8) and at most `max` UTF-8 bytes. */
export function stringProblem(what: string, s: unknown, max: number): string | null {
  if (typeof s !== 'string') return `${what} must be a string`;
  if (s.length === 0) return `${what} must not be empty`;
  if (LONE_SURROGATE.test(s)) return `${what} contains a lone surrogate (not valid Unicode)`;
  const n = utf8Bytes(s);
  if (n > max) return `${what} is ${n} bytes; the limit is ${max} bytes`;
  return null;
}

export function kvKeyProblem(key: unknown): string | null {
  return stringProblem('key', key, LIMITS.kvKey);
}

export function eventNameProblem(name: unknown): string | null {
  return stringProblem('event name', name, LIMITS.eventName);
}

/** A clock a writer may use or a peer may send: a whole number from 1 to LIMITS.kvClock. */
export function kvClockProblem(clock: unknown): string | null {
  if (typeof clock !== 'number' || !Number.isSafeInteger(clock) || clock < 1 || clock > LIMITS.kvClock)
    return `clock ${String(clock)} is outside 1..${LIMITS.kvClock}`;
  return null;
}

/** The encoded size that gossip.maxTagBytes bounds: a length byte and the UTF-8 bytes of each key and value. */
export function encodedTagBytes(tags: Record<string, string>): number {
  let size = 0;
  for (const [k, v] of Object.entries(tags)) size += 2 + utf8Bytes(k) + utf8Bytes(v);
  return size;
}

/** Tags as the codec encodes them: entry count, and key and value sizes in UTF-8 bytes. */
export function tagProblems(tags: Record<string, string>): string[] {
  const problems: string[] = [];
  const keys = Object.keys(tags);
  if (keys.length > LIMITS.tagEntries)
    problems.push(`${keys.length} tags; the limit is ${LIMITS.tagEntries}`);
  for (const k of keys) {
    const keyProblem = stringProblem(`tag key '${k}'`, k, LIMITS.tagKey);
    if (keyProblem) problems.push(keyProblem);
    const v = tags[k]!;
    // Values may be empty; only their size matters.
    if (utf8Bytes(v) > LIMITS.tagValue)
      problems.push(`tag '${k}': value is ${utf8Bytes(v)} bytes; the limit is ${LIMITS.tagValue} bytes`);
  }
  return problems;
}

/**
 * Text that came from the network, made safe for one log line: control characters (C0, DEL, C1)
 * and Unicode line/bidi controls become \u escapes, and it is cut at `max` characters.
 */
export function escapeControl(s: string, max = 256): string {
  const cut = s.length > max ? `${s.slice(0, max)}…` : s;
  let out = '';
  for (const ch of cut) {
    const c = ch.codePointAt(0)!;
    const control =
      c < 0x20 ||
      (c >= 0x7f && c <= 0x9f) ||
      c === 0x2028 ||
      c === 0x2029 ||
      (c >= 0x202a && c <= 0x202e) ||
      (c >= 0x2066 && c <= 0x2069);
    out += control ? `\\u${c.toString(16).padStart(4, '0')}` : ch;
  }
  return out;
}
