/** Bytes of the big-endian u32 length that precedes every stream frame. */
export const FRAME_HEADER_BYTES = 4;

export class FrameTooLargeError extends Error {
  constructor(
    readonly announced: number,
    readonly max: number,
  ) {
    super(`peer announced a ${announced}-byte frame, more than the ${max}-byte limit`);
    this.name = 'FrameTooLargeError';
  }
}

export function encodeFrameHeader(length: number): Uint8Array {
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  new DataView(header.buffer).setUint32(0, length, false);
  return header;
}

/**
 * Splits a TCP byte stream into length-prefixed frames. Chunks are kept as a list and joined once per
 * frame, so a multi-megabyte frame arriving in 64 KiB reads costs one copy, not one per read.
 */
export class FrameDecoder {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** Length of the frame being read, or -1 while its header is incomplete. */
  private expected = -1;

  /** Largest frame accepted; a transport may raise it (e.g. once a connection has authenticated). */
  constructor(public maxFrameBytes: number) {}

  /** True while part of a frame (or of its header) has arrived and the rest has not. */
  get inFrame(): boolean {
    return this.buffered > 0 || this.expected >= 0;
  }

  /**
   * Hands each frame this chunk completes to onFrame, in order; throws FrameTooLargeError on an
   * oversized header (after delivering the frames before it).
   */
  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => void): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < FRAME_HEADER_BYTES) return;
        const header = this.take(FRAME_HEADER_BYTES);
        this.expected = new DataView(header.buffer, header.byteOffset, FRAME_HEADER_BYTES).getUint32(
          0,
          false,
        );
        if (this.expected > this.maxFrameBytes)
          throw new FrameTooLargeError(this.expected, this.maxFrameBytes);
      }
      if (this.buffered < this.expected) return;
      const frame = this.take(this.expected);
      this.expected = -1;
      onFrame(frame);
    }
  }

  /** Bytes held for an incomplete frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) {
      // Fast path: the whole piece lies in the first chunk (always true for small frames).
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const need = n - filled;
      if (chunk.length <= need) {
        out.set(chunk, filled);
        filled += chunk.length;
        this.chunks.shift();
      } else {
        out.set(chunk.subarray(0, need), filled);
        filled += need;
        this.chunks[0] = chunk.subarray(need);
      }
    }
    this.buffered -= n;
    return out;
  }
}
