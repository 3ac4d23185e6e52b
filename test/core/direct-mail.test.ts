// The direct-mail buffer on its own: backoff, exhaustion, acknowledgement, bound, gone peers.
import { expect } from 'chai';
import { resolveEngineConfig } from '../../src/agent/config/engine-schema.js';
import { DirectMail, keyOf } from '../../src/agent/core/direct-mail.js';

describe('direct mail buffer', () => {
  const cfg = resolveEngineConfig({
    directMail: { maxAttempts: 3, retryBaseMs: 100, bufferSize: 2 },
  }).directMail;
  it('retries with exponential backoff, then drops and counts', () => {
    const m = new DirectMail(cfg);
    m.add(1, 'p', 'p:1', [new Uint8Array(1)], 0);
    expect(m.due(99)).to.have.length(0);
    expect(m.due(100)).to.have.length(1);
    expect(m.nextDeadline()).to.equal(300);
    expect(m.due(300)).to.have.length(1);
    expect(m.due(10_000)).to.have.length(0);
    expect(m.counters).to.deep.include({ retries: 2, dropped: 1 });
  });
  it('stops on ack and bounds the buffer', () => {
    const m = new DirectMail(cfg);
    m.add(1, 'a', 'a:1', [], 0);
    m.add(1, 'b', 'b:1', [], 0);
    m.add(1, 'c', 'c:1', [], 0);
    expect(m.size).to.equal(2);
    expect(m.counters.dropped).to.equal(1);
    expect(m.ack('a', 1)).to.equal(false);
    expect(m.ack('b', 1)).to.equal(true);
    m.dropPeer('c');
    expect(m.size).to.equal(0);
    expect(m.counters.dropped).to.equal(2);
  });
  it('dueOne retries only the named mail, counts it, and a hot reload changes later backoff', () => {
    const m = new DirectMail(cfg);
    m.add(7, 'a', 'a:1', [], 0);
    m.add(7, 'b', 'b:1', [], 0);
    expect(m.dueOne(keyOf('a', 7), 99)).to.equal(undefined);
    const a = m.dueOne(keyOf('a', 7), 100);
    expect(a).to.deep.include({ peer: 'a', attempts: 2, nextAt: 300 });
    expect(m.counters.retries).to.equal(1);
    m.configure({ ...cfg, retryBaseMs: 1_000, maxAttempts: 5 });
    expect(m.dueOne(keyOf('b', 7), 100)).to.deep.include({ attempts: 2, nextAt: 2_100 });
    expect(m.dueOne(keyOf('zz', 7), 10_000), 'unknown key').to.equal(undefined);
  });
});
