// Issue 8, findings 5 and 6 (key/value half) and the tag half of 5, against a real agent process:
// a refused write changes nothing, and a peer's poisoned clock cannot block later writes.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { LIMITS } from '../../src/agent/wire/limits.js';
import { AgentProcess } from '../support/agent-process.js';
import { Agents, agentArgs, eventually, sendForgedKv } from './helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('hardening: key/value and tag limits (real agent process)', function () {
  this.timeout(60_000);
  const agents = new Agents();
  let a: AgentProcess;
  before(async () => {
    a = await agents.start(agentArgs('kv1'));
  });
  after(() => agents.stopAll());

  const kv = (key: string, init?: RequestInit) => fetch(`${a.url}/v1/kv/${encodeURIComponent(key)}`, init);

  it('PUT of a key over 256 bytes answers 422 and stores nothing', async () => {
    const key = 'k'.repeat(LIMITS.kvKey + 1);
    const put = await kv(key, { method: 'PUT', body: 'v' });
    expect(put.status).to.equal(422);
    expect(((await put.json()) as { error: string }).error).to.include('257 bytes');
    expect((await kv(key)).status).to.equal(404);
    // Anti-entropy with this node keeps working: the key is not in its digest tree.
    expect((await kv('k'.repeat(LIMITS.kvKey), { method: 'PUT', body: 'ok' })).status).to.equal(204);
  });

  it("a peer's key/value entry with clock MAX_SAFE_INTEGER is refused and later writes work", async () => {
    expect((await kv('app', { method: 'PUT', body: 'one' })).status).to.equal(204);
    await sendForgedKv(a.gossipAddr, {
      key: 'poison',
      value: enc('x'),
      clock: Number.MAX_SAFE_INTEGER,
      writer: 'forger',
      at: Date.now(),
    });
    // A valid forged entry sent after it proves the packet path works (plaintext: anyone may write).
    await sendForgedKv(a.gossipAddr, {
      key: 'marker',
      value: enc('m'),
      clock: 5,
      writer: 'forger',
      at: Date.now(),
    });
    await eventually('marker applied', async () => (await kv('marker')).status === 200);
    expect((await kv('poison')).status).to.equal(404);
    const put = await kv('app', { method: 'PUT', body: 'two' });
    expect(put.status).to.equal(204);
    expect(await (await kv('app')).text()).to.equal('two');
    expect((await kv('app', { method: 'DELETE' })).status).to.equal(204);
    expect((await kv('app')).status).to.equal(404);
  });

  it("a peer's entry at the clock limit (2^48) is refused: one forged entry cannot stop every later write", async () => {
    expect((await kv('keep', { method: 'PUT', body: 'kept' })).status).to.equal(204);
    await sendForgedKv(a.gossipAddr, {
      key: 'top',
      value: enc('t'),
      clock: LIMITS.kvClock,
      writer: 'forger',
      at: Date.now(),
    });
    // The highest clock a peer may send today (our clock + 100 years, in ms) is taken...
    const highest = Date.now() + 99 * 365 * 86_400_000;
    await sendForgedKv(a.gossipAddr, {
      key: 'high',
      value: enc('h'),
      clock: highest,
      writer: 'forger',
      at: Date.now(),
    });
    await eventually('high applied', async () => (await kv('high')).status === 200);
    expect((await kv('top')).status).to.equal(404);
    // ...and still leaves room: writes keep working, and a local write of that key wins over it.
    expect((await kv('keep', { method: 'PUT', body: 'changed' })).status).to.equal(204);
    expect(await (await kv('keep')).text()).to.equal('changed');
    expect((await kv('high', { method: 'PUT', body: 'mine' })).status).to.equal(204);
    expect(await (await kv('high')).text()).to.equal('mine');
    expect((await kv('keep', { method: 'DELETE' })).status).to.equal(204);
  });

  it('65 small tags are refused at start-up with a config error naming the limit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gv-tags-'));
    const file = join(dir, 'agent.yaml');
    const tags = Object.fromEntries(Array.from({ length: LIMITS.tagEntries + 1 }, (_, i) => [`t${i}`, 'v']));
    writeFileSync(file, JSON.stringify({ tags }));
    const p = AgentProcess.spawn(['--config', file, ...agentArgs('tags65')]);
    // The old code started such an agent; do not leave it running when the test fails.
    const timer = setTimeout(() => p.proc.kill('SIGKILL'), 30_000);
    const { code } = await p.exited;
    clearTimeout(timer);
    expect(code).to.not.equal(0);
    expect(p.stderr + JSON.stringify(p.logs)).to.match(/tags.*(64|fewer|more than)/i);
  });
});
