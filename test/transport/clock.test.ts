import { expect } from 'chai';
import { monotonicNow } from '../../src/agent/runtime/clock.js';

describe('runtime/clock', () => {
  it('is epoch-aligned: within a few ms of Date.now()', () => {
    // The monotonic clock drifts from wall time only by NTP slew since process start.
    expect(Math.abs(monotonicNow() - Date.now())).to.be.lessThan(1000);
  });

  it('never goes backwards and advances with real time', async () => {
    let prev = monotonicNow();
    for (let i = 0; i < 100_000; i++) {
      const t = monotonicNow();
      if (t < prev) throw new Error(`clock went backwards: ${t} < ${prev}`);
      prev = t;
    }
    const before = monotonicNow();
    await new Promise((r) => setTimeout(r, 30));
    expect(monotonicNow() - before).to.be.within(25, 500);
  });
});
