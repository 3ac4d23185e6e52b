// Randomised round-robin (SWIM §4.3): every member is probed once per pass, in a fresh random
// order each pass, which bounds the time to first detection. The order is an affine permutation
// i → (a·i + b) mod n with gcd(a, n) = 1, so it needs O(1) memory even with 10,000 members.
import type { Rng } from './types.js';

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export class ProbeOrder {
  private n = 0;
  private a = 1;
  private b = 0;
  private i = 0;

  constructor(private readonly rng: Rng) {}

  /** Next slot in [0, slotCount); starts a new pass when the pass ends or the slot count changed. */
  next(slotCount: number): number {
    if (slotCount !== this.n || this.i >= this.n) this.newPass(slotCount);
    const slot = (this.a * this.i + this.b) % this.n;
    this.i++;
    return slot;
  }

  private newPass(n: number): void {
    this.n = n;
    this.i = 0;
    this.b = n > 0 ? this.rng.int(n) : 0;
    this.a = 1;
    if (n > 2) {
      // Random multiplier coprime with n; a few tries suffice in practice.
      for (let t = 0; t < 32; t++) {
        const cand = 1 + this.rng.int(n - 1);
        if (gcd(cand, n) === 1) {
          this.a = cand;
          break;
        }
      }
    }
  }
}
