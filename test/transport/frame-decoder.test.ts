import { expect } from 'chai';
import fc from 'fast-check';
import {
  encodeFrameHeader,
  FrameDecoder,
  FrameTooLargeError,
} from '../../src/agent/transport/frame-decoder.js';

function encode(frames: Uint8Array[]): Uint8Array {
  const total = frames.reduce((n, f) => n + 4 + f.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const f of frames) {
    out.set(encodeFrameHeader(f.length), at);
    out.set(f, at + 4);
    at += 4 + f.length;
  }
  return out;
}

describe('FrameDecoder', () => {
  it('writes the length big-endian', () => {
    expect([...encodeFrameHeader(0x01020304)]).to.deep.equal([1, 2, 3, 4]);
  });

  it('recovers the same frames however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 50 }),
        (frames, cuts) => {
          const stream = encode(frames);
          const decoder = new FrameDecoder(1000);
          const got: Uint8Array[] = [];
          let at = 0;
          let i = 0;
          while (at < stream.length) {
            const size = cuts[i++ % cuts.length]!;
            decoder.push(stream.subarray(at, at + size), (f) => got.push(f));
            at += size;
          }
          expect(got.map((f) => [...f])).to.deep.equal(frames.map((f) => [...f]));
          expect(decoder.pendingBytes).to.equal(0);
        },
      ),
    );
  });

  it('delivers the frames before an oversized header, then throws FrameTooLargeError', () => {
    const decoder = new FrameDecoder(100);
    const got: Uint8Array[] = [];
    const chunk = new Uint8Array([...encode([new Uint8Array(100).fill(5)]), ...encodeFrameHeader(101)]);
    expect(() => decoder.push(chunk, (f) => got.push(f))).to.throw(FrameTooLargeError, '101-byte frame');
    expect(got.map((f) => f.length)).to.deep.equal([100]);
  });
});
