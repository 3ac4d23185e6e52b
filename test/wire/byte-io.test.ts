import { expect } from 'chai';
import fc from 'fast-check';
import { ByteReader } from '../../src/agent/wire/byte-reader.js';
import { ByteWriter } from '../../src/agent/wire/byte-writer.js';
import { DecodeError } from '../../src/agent/wire/decode-error.js';
import { varintSize } from '../../src/agent/wire/varint.js';
import { hash64, uint } from './arbitraries.js';

const varintBytes = (v: number): Uint8Array => {
  const w = new ByteWriter();
  w.varint(v);
  return w.finish();
};

describe('wire/byte-writer + byte-reader', () => {
  it('varints round-trip across the safe range and varintSize matches', () => {
    fc.assert(
      fc.property(uint(), (v) => {
        const b = varintBytes(v);
        expect(b.length).to.equal(varintSize(v));
        const r = new ByteReader(b);
        expect(r.varint()).to.equal(v);
        expect(r.remaining).to.equal(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes LEB128 group boundaries with the expected sizes', () => {
    expect(Array.from(varintBytes(0))).to.deep.equal([0]);
    expect(Array.from(varintBytes(127))).to.deep.equal([0x7f]);
    expect(Array.from(varintBytes(128))).to.deep.equal([0x80, 0x01]);
    expect(Array.from(varintBytes(300))).to.deep.equal([0xac, 0x02]);
    expect(varintSize(2 ** 32)).to.equal(5);
    expect(varintSize(1_800_000_000_000)).to.equal(6);
    expect(varintSize(Number.MAX_SAFE_INTEGER)).to.equal(8);
    expect(new ByteReader(varintBytes(2 ** 40 + 5)).varint()).to.equal(2 ** 40 + 5);
  });

  it('refuses to write negative, fractional or unsafe varints', () => {
    const w = new ByteWriter();
    for (const bad of [-1, 1.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => w.varint(bad, 'x')).to.throw(RangeError);
    }
  });

  it('rejects overlong, truncated and beyond-safe varints', () => {
    const read = (bytes: number[]) => () => new ByteReader(Uint8Array.from(bytes)).varint();
    expect(read([0x80, 0x00])).to.throw(DecodeError, /overlong/); // padded zero
    expect(read([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).to.throw(DecodeError, /overlong/);
    expect(read([0x80])).to.throw(DecodeError, /truncated/);
    expect(read([])).to.throw(DecodeError, /truncated/);
    // 2^53 = MAX_SAFE_INTEGER + 1
    const w = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10];
    expect(read(w)).to.throw(DecodeError, /safe integer/);
    expect(read([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f])()).to.equal(Number.MAX_SAFE_INTEGER);
  });

  it('strings: round-trip, byte limits, non-empty, BOM kept, invalid UTF-8 and lone surrogates refused', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 50 }), (s) => {
        const w = new ByteWriter();
        w.string(s, 200);
        expect(new ByteReader(w.finish()).string(200)).to.equal(s);
      }),
      { numRuns: 1000 },
    );
    const w = new ByteWriter();
    expect(() => w.string('é'.repeat(65), 128, 'name')).to.throw(RangeError, 'name: 130 bytes exceeds 128');
    expect(() => w.string('', 128, 'name', true)).to.throw(RangeError, /empty/);
    expect(() => w.string('a\ud800b', 128, 'name')).to.throw(RangeError, /surrogate/);

    const bom = new ByteWriter();
    bom.string('\ufeffx', 10);
    expect(new ByteReader(bom.finish()).string(10)).to.equal('\ufeffx');

    const long = new ByteWriter();
    long.string('x'.repeat(129), 200);
    expect(() => new ByteReader(long.finish()).string(128, 'name')).to.throw(DecodeError, /exceeds 128/);
    expect(() => new ByteReader(Uint8Array.from([0])).string(10, 'n', true)).to.throw(DecodeError, /empty/);
    for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      const r = new ByteReader(Uint8Array.from([bad.length, ...bad]));
      expect(() => r.string(10)).to.throw(DecodeError, /invalid UTF-8/);
    }
    expect(() => new ByteReader(Uint8Array.from([5, 0x61])).string(10)).to.throw(DecodeError, /truncated/);
  });

  it('hash64 round-trips both u32 lanes, big-endian', () => {
    fc.assert(
      fc.property(hash64(), (h) => {
        const w = new ByteWriter();
        w.hash64(h);
        const b = w.finish();
        expect(b.length).to.equal(8);
        expect(new ByteReader(b).hash64()).to.deep.equal(h);
      }),
      { numRuns: 1000 },
    );
    const w = new ByteWriter();
    w.hash64([0x01020304, 0xfffffffe]);
    expect(Array.from(w.finish())).to.deep.equal([1, 2, 3, 4, 0xff, 0xff, 0xff, 0xfe]);
    expect(() => w.hash64([2 ** 32, 0])).to.throw(RangeError);
  });

  it('refuses element counts that cannot fit in the remaining bytes', () => {
    const w = new ByteWriter();
    w.varint(1_000_000_000);
    w.raw(new Uint8Array(10));
    expect(() => new ByteReader(w.finish()).count('items', 1)).to.throw(DecodeError, /cannot fit/);
    const ok = Uint8Array.from([3, 1, 2, 3]);
    expect(new ByteReader(ok).count('items', 1)).to.equal(3);
    expect(() => new ByteReader(ok).count('items', 2)).to.throw(DecodeError);
  });

  it('strings: the ASCII path writes the same bytes as TextEncoder, with the same limits', () => {
    const utf8 = new TextEncoder();
    const reference = (s: string, short: boolean): number[] => {
      const bytes = utf8.encode(s);
      return [...(short ? [bytes.length] : Array.from(varintBytes(bytes.length))), ...bytes];
    };
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 80 })),
        (s) => {
          const w = new ByteWriter(4);
          w.string(s, 1_000);
          expect(Array.from(w.finish())).to.deep.equal(reference(s, false));
          const short = new ByteWriter(4);
          short.shortString(s, 255);
          expect(Array.from(short.finish())).to.deep.equal(reference(s, true));
        },
      ),
      { numRuns: 2000 },
    );
    const w = new ByteWriter();
    expect(() => w.string('abcd', 3, 'name')).to.throw(RangeError, /name: 4 bytes exceeds 3/);
    expect(() => w.shortString('', 10, 'cluster', true)).to.throw(RangeError, /must not be empty/);
    expect(() => w.string('\u007f\u0080', 2)).to.throw(RangeError, /3 bytes exceeds 2/);
    expect(() => w.string(5 as unknown as string, 10, 'x')).to.throw(RangeError, /not a string/);
    expect(w.length).to.equal(0); // a refused string writes nothing
  });

  it('finish() hands over an exactly full buffer; later writes do not reach it', () => {
    const w = new ByteWriter(16);
    for (let i = 0; i < 16; i++) w.u8(i);
    const first = w.finish();
    expect(Array.from(first)).to.deep.equal([...Array(16).keys()]);
    w.u8(99);
    w.raw(new Uint8Array(0));
    expect(Array.from(first)).to.deep.equal([...Array(16).keys()]);
    expect(Array.from(w.finish())).to.deep.equal([...Array(16).keys(), 99]);
  });

  it('grows past its initial capacity', () => {
    const w = new ByteWriter(16);
    const big = new Uint8Array(10_000).map((_, i) => i & 0xff);
    w.bytes(big, 20_000);
    const r = new ByteReader(w.finish());
    expect(r.bytes(20_000)).to.deep.equal(big);
  });
});
