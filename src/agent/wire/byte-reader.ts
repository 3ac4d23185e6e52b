import { DecodeError } from './decode-error.js';
import type { Hash64 } from './messages.js';
import { MAX_VARINT_BYTES } from './varint.js';

// ignoreBOM keeps a leading U+FEFF in the string, so decode → encode gives back the same bytes.
// Copied into a module-local constant: read in the hot varint loop.
const VARINT_LIMIT = MAX_VARINT_BYTES;
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Bounds-checked cursor over a byte range. Every read either returns a valid value or throws a
 * DecodeError; nothing is allocated before its declared size has been checked against what is left.
 */
export class ByteReader {
  private pos: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos)
      throw new DecodeError(`${what}: truncated (need ${n}, have ${this.remaining})`);
  }

  u8(what = 'u8'): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  /** Minimal-length unsigned LEB128, at most Number.MAX_SAFE_INTEGER. */
  varint(what = 'varint'): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < VARINT_LIMIT; i++) {
      const b = this.u8(what);
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        // A zero final group after others is a padded (non-canonical) encoding: refuse it so every
        // value has exactly one encoding.
        if (b === 0 && i > 0) throw new DecodeError(`${what}: overlong varint`);
        if (value > Number.MAX_SAFE_INTEGER) throw new DecodeError(`${what}: varint beyond safe integer`);
        return value;
      }
      scale *= 0x80;
    }
    throw new DecodeError(`${what}: overlong varint`);
  }

  /** A varint that must be ≤ max. */
  varintMax(max: number, what: string): number {
    const v = this.varint(what);
    if (v > max) throw new DecodeError(`${what}: ${v} exceeds ${max}`);
    return v;
  }

  /**
   * An element count. Each element takes at least `minElementBytes`, so a count that could not fit in
   * what is left is a lie and is refused before any array is allocated.
   */
  count(what: string, minElementBytes = 1, max = Number.MAX_SAFE_INTEGER): number {
    const n = this.varintMax(max, what);
    if (n * minElementBytes > this.remaining) throw new DecodeError(`${what}: ${n} elements cannot fit`);
    return n;
  }

  /** A copy of the next n bytes (copied so decoded values never pin the packet buffer). */
  raw(n: number, what = 'bytes'): Uint8Array {
    this.need(n, what);
    const out = this.buf.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Varint length, then that many bytes (≤ max). */
  bytes(max: number, what = 'bytes'): Uint8Array {
    const n = this.varintMax(max, `${what} length`);
    return this.raw(n, what);
  }

  /** Varint byte length, then strict UTF-8. */
  string(max: number, what = 'string', nonEmpty = false): string {
    const n = this.varintMax(max, `${what} length`);
    return this.utf8(n, what, nonEmpty);
  }

  /** One-byte length, then strict UTF-8. */
  shortString(max: number, what = 'string', nonEmpty = false): string {
    const n = this.u8(`${what} length`);
    if (n > max) throw new DecodeError(`${what} length: ${n} exceeds ${max}`);
    return this.utf8(n, what, nonEmpty);
  }

  private utf8(n: number, what: string, nonEmpty: boolean): string {
    if (nonEmpty && n === 0) throw new DecodeError(`${what}: must not be empty`);
    this.need(n, what);
    const start = this.pos;
    this.pos += n;
    // Names, addresses and tags are nearly always short ASCII; TextDecoder costs far more per call.
    if (n <= 64) {
      let s = '';
      let i = start;
      for (; i < start + n; i++) {
        const b = this.buf[i]!;
        if (b >= 0x80) break;
        s += String.fromCharCode(b);
      }
      if (i === start + n) return s;
    }
    const view = this.buf.subarray(start, start + n);
    try {
      return decoder.decode(view);
    } catch {
      throw new DecodeError(`${what}: invalid UTF-8`);
    }
  }

  hash64(what = 'hash'): Hash64 {
    this.need(8, what);
    const b = this.buf;
    const p = this.pos;
    const hi = b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
    const lo = b[p + 4]! * 0x1000000 + ((b[p + 5]! << 16) | (b[p + 6]! << 8) | b[p + 7]!);
    this.pos = p + 8;
    return [hi, lo];
  }

  /** A reader over the next n bytes; this reader skips past them. */
  sub(n: number, what = 'section'): ByteReader {
    this.need(n, what);
    const r = new ByteReader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  /** The rest of the range, as a view (no copy). */
  rest(): Uint8Array {
    const out = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return out;
  }

  expectEnd(what: string): void {
    if (this.pos !== this.end) throw new DecodeError(`${what}: ${this.remaining} trailing bytes`);
  }
}
