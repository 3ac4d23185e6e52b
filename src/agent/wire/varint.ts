// Unsigned LEB128 over the whole safe-integer range. Arithmetic instead of bit operators, because
// those truncate to 32 bits and timestamps in ms exceed 2^32.

/** A safe integer needs at most 8 groups of 7 bits (2^56 > 2^53). */
export const MAX_VARINT_BYTES = 8;

export function isVarintValue(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0;
}

/** Encoded size of `v` in bytes; `v` must be a non-negative safe integer. */
export function varintSize(v: number): number {
  let size = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    size++;
  }
  return size;
}
