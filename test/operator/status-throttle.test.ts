// StatusThrottle: one status round per cluster per interval, never two at once.
import { expect } from 'chai';
import { StatusThrottle } from '../../src/operator/status/status-throttle.js';

describe('StatusThrottle', () => {
  it('allows one round per interval per cluster, and none while one runs', () => {
    let now = 1_000;
    const t = new StatusThrottle(30_000, () => now);
    expect(t.tryBegin('ns/a')).to.equal(true);
    expect(t.tryBegin('ns/a')).to.equal(false); // running
    expect(t.tryBegin('ns/b')).to.equal(true); // other clusters are independent
    t.end('ns/a');
    expect(t.tryBegin('ns/a')).to.equal(false); // not due
    now += 29_999;
    expect(t.dueIn('ns/a')).to.equal(1);
    expect(t.tryBegin('ns/a')).to.equal(false);
    now += 1;
    expect(t.dueIn('ns/a')).to.equal(0);
    expect(t.tryBegin('ns/a')).to.equal(true);
  });

  it('a round that outlasts the interval still blocks the next; forget() clears a deleted cluster', () => {
    let now = 0;
    const t = new StatusThrottle(100, () => now);
    expect(t.tryBegin('x')).to.equal(true);
    now = 500;
    expect(t.tryBegin('x')).to.equal(false);
    t.forget('x');
    expect(t.dueIn('x')).to.equal(0);
    expect(t.tryBegin('x')).to.equal(true);
  });
});
