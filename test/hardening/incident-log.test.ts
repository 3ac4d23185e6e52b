// The pieces behind "one log line per incident, no stack trace, escaped": RateLimitedLog (injected
// clock), Refusals (counter + log), escapeControl, and the bounded SSE queue.
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { SseQueue } from '../../src/agent/http/sse-queue.js';
import { RateLimitedLog } from '../../src/agent/metrics/rate-limited-log.js';
import { Refusals } from '../../src/agent/metrics/refusals.js';
import { escapeControl, tagProblems } from '../../src/agent/wire/limits-check.js';

describe('hardening: incident logging and small bounded parts', () => {
  it('RateLimitedLog writes one line per kind per interval and reports what it suppressed', () => {
    let now = 0;
    const lines: Array<Record<string, unknown>> = [];
    const log = new RateLimitedLog((fields) => lines.push(fields), { intervalMs: 1_000, now: () => now });
    for (let i = 0; i < 100; i++) log.log('a', { i }, 'm');
    log.log('b', { i: -1 }, 'm');
    expect(lines).to.deep.equal([{ i: 0 }, { i: -1 }]);
    now = 1_000;
    log.log('a', { i: 100 }, 'm');
    expect(lines[2]).to.deep.equal({ i: 100, suppressed: 99 });
  });

  it('Refusals counts every refusal and logs escaped peer text once per kind', async () => {
    const registry = new Registry();
    const lines: Array<Record<string, unknown>> = [];
    const r = new Refusals(registry, (fields) => lines.push(fields), { now: () => 0 });
    r.declare('gossip-tcp', ['connection-limit']);
    for (let i = 0; i < 5; i++)
      r.report({
        resource: 'gossip-tcp',
        reason: 'oversize-frame',
        peer: '1.2.3.4:5',
        detail: 'evil\u001b[31m\n',
      });
    const text = await registry.metrics();
    expect(text).to.include('grapevine_refused_total{resource="gossip-tcp",reason="oversize-frame"} 5');
    expect(text).to.include('grapevine_refused_total{resource="gossip-tcp",reason="connection-limit"} 0');
    expect(lines).to.have.length(1);
    expect(lines[0]!.detail).to.equal('evil\\u001b[31m\\u000a');
  });

  it('escapeControl escapes C0, DEL, C1 and bidi controls and cuts long text', () => {
    expect(escapeControl('n\u0000\u007f\u0085\u202e ok')).to.equal('n\\u0000\\u007f\\u0085\\u202e ok');
    expect(escapeControl('x'.repeat(300), 10)).to.equal(`${'x'.repeat(10)}…`);
  });

  it('tagProblems counts entries and UTF-8 bytes as the codec does', () => {
    expect(tagProblems({ a: 'b' })).to.deep.equal([]);
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, '']));
    expect(tagProblems(many)).to.deep.equal(['65 tags; the limit is 64']);
    expect(tagProblems({ ['é'.repeat(65)]: 'v' })[0]).to.include('130 bytes; the limit is 128');
  });

  it('SseQueue refuses a frame past its byte bound and aborts waiting readers when failed', async () => {
    const q = new SseQueue(10);
    expect(q.push(new Uint8Array(6))).to.equal(true);
    expect(q.push(new Uint8Array(6))).to.equal(false);
    expect(q.bytes).to.equal(6);
    expect((await q.next())!.length).to.equal(6);
    const waiting = q.next();
    q.close(new Error('slow'));
    let failed = '';
    await waiting.catch((e: Error) => {
      failed = e.message;
    });
    expect(failed).to.equal('slow');
    expect(q.push(new Uint8Array(1))).to.equal(false);
  });
});
