import type { Hash64 } from './messages.js';
import { isVarintValue } from './varint.js';

const encoder = new TextEncoder();
/** With the u flag a surrogate pair is one code point, so this matches only lone surrogates. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Growable output buffer. Every method validates its input and throws a RangeError naming the field,
 * so the encoder never emits bytes the reader would reject.
 */
export class ByteWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialCapacity = 64) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
  }

  get length(): number {
    return this.len;
  }

  private ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    const next = new Uint8Array(Math.max(need, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number, what = 'u8'): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${what}: ${v} is not a byte`);
    this.ensure(1);
    this.buf[this.len++] = v;
  }

  varint(v: number, what = 'varint'): void {
    if (!isVarintValue(v)) throw new RangeError(`${what}: ${v} is not a non-negative safe integer`);
    this.ensure(8);
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) + 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  /** Varint length, then the bytes. */
  bytes(bytes: Uint8Array, max: number, what = 'bytes'): void {
    if (bytes.length > max) throw new RangeError(`${what}: ${bytes.length} bytes exceeds ${max}`);
    this.varint(bytes.length);
    this.raw(bytes);
  }

  /** UTF-8 with a varint byte-length prefix. Lone surrogates are refused: they would not round-trip. */
  string(s: string, max: number, what = 'string', nonEmpty = false): void {
    if (isAscii(s)) {
      checkLength(s.length, max, what, nonEmpty);
      this.varint(s.length);
      this.ascii(s);
      return;
    }
    const utf8 = utf8Of(s, max, what, nonEmpty);
    this.varint(utf8.length);
    this.raw(utf8);
  }

  /** UTF-8 with a one-byte length prefix (max ≤ 255), used for the cluster name in the header. */
  shortString(s: string, max: number, what = 'string', nonEmpty = false): void {
    if (max > 0xff) throw new RangeError(`${what}: short strings hold at most 255 bytes`);
    if (isAscii(s)) {
      checkLength(s.length, max, what, nonEmpty);
      this.u8(s.length);
      this.ascii(s);
      return;
    }
    const utf8 = utf8Of(s, max, what, nonEmpty);
    this.u8(utf8.length);
    this.raw(utf8);
  }

  /** An ASCII string's bytes are its char codes: no TextEncoder call and no temporary array. */
  private ascii(s: string): void {
    const n = s.length;
    this.ensure(n);
    const b = this.buf;
    let p = this.len;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.len = p;
  }

  hash64(h: Hash64, what = 'hash'): void {
    const [hi, lo] = h;
    if (!isU32(hi) || !isU32(lo)) throw new RangeError(`${what}: lanes must be unsigned 32-bit integers`);
    this.ensure(8);
    const b = this.buf;
    let p = this.len;
    b[p++] = hi >>> 24;
    b[p++] = (hi >>> 16) & 0xff;
    b[p++] = (hi >>> 8) & 0xff;
    b[p++] = hi & 0xff;
    b[p++] = lo >>> 24;
    b[p++] = (lo >>> 16) & 0xff;
    b[p++] = (lo >>> 8) & 0xff;
    b[p++] = lo & 0xff;
    this.len = p;
  }

  /**
   * The written bytes. A buffer filled exactly (the capacity given was the final size) is handed over
   * without a copy: a later write cannot reach it, because a full buffer is replaced before any write.
   */
  finish(): Uint8Array {
    return this.len === this.buf.length ? this.buf : this.buf.slice(0, this.len);
  }
}

function isU32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

/** Whether `s` is a string of code units below 0x80 only (its UTF-8 is one byte per unit). */
function isAscii(s: string): boolean {
  if (typeof s !== 'string') return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

function checkLength(bytes: number, max: number, what: string, nonEmpty: boolean): void {
  if (bytes > max) throw new RangeError(`${what}: ${bytes} bytes exceeds ${max}`);
  if (nonEmpty && bytes === 0) throw new RangeError(`${what}: must not be empty`);
}

/** The UTF-8 bytes of `s`, validated against the field's limits. */
function utf8Of(s: string, max: number, what: string, nonEmpty: boolean): Uint8Array {
  if (typeof s !== 'string') throw new RangeError(`${what}: not a string`);
  if (LONE_SURROGATE.test(s)) throw new RangeError(`${what}: contains a lone surrogate (not valid UTF-16)`);
  const utf8 = encoder.encode(s);
  checkLength(utf8.length, max, what, nonEmpty);
  return utf8;
}
