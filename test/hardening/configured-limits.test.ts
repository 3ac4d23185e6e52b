// Issue 8, bounded resources: the key/value limits and the event de-duplication bounds come from the
// agent config (gossip.kvMaxEntries, gossip.kvMaxBytes, gossip.eventDedupeMaxOrigins), and what they
// refuse is counted in grapevine_refused_total and logged once, on real agent processes. The old code
// built the store and the de-duplication with fixed defaults and counted nothing.
import { expect } from 'chai';
import type { AgentProcess } from '../support/agent-process.js';
import { Agents, agentArgs, eventually, metric } from './helpers.js';

const refused = (a: AgentProcess, resource: string, reason: string) =>
  metric(a, 'grapevine_refused_total', `resource="${resource}"`, `reason="${reason}"`);

describe('hardening: configured key/value and event de-duplication limits (real agent processes)', function () {
  this.timeout(90_000);
  const agents = new Agents();
  let a: AgentProcess;
  let b: AgentProcess;
  before(async () => {
    a = await agents.start(
      agentArgs(
        'lim-a',
        '--kv-max-entries',
        '3',
        '--kv-max-bytes',
        '1024',
        '--max-payload-bytes',
        '1024',
        '--event-dedupe-max-origins',
        '1',
      ),
    );
  });
  after(() => agents.stopAll());

  const kv = (on: AgentProcess, key: string, init?: RequestInit) =>
    fetch(`${on.url}/v1/kv/${encodeURIComponent(key)}`, init);

  it('through the HTTP API: filled to kvMaxEntries, the next new key is refused, changes nothing and is counted', async () => {
    expect(await refused(a, 'kv', 'full')).to.equal(0);
    for (const k of ['k1', 'k2', 'k3'])
      expect((await kv(a, k, { method: 'PUT', body: k })).status).to.equal(204);
    const put = await kv(a, 'k4', { method: 'PUT', body: 'k4' });
    expect(put.status).to.equal(422);
    expect(((await put.json()) as { error: string }).error).to.include('limit is 3');
    expect((await kv(a, 'k4')).status).to.equal(404);
    // Existing keys may still change (the bound is on entries and bytes, not on writes).
    expect((await kv(a, 'k1', { method: 'PUT', body: 'again' })).status).to.equal(204);
    expect(await refused(a, 'kv', 'full')).to.equal(1);
    // A value that would take the store past kvMaxBytes is refused too, and the old value stays.
    const big = await kv(a, 'k2', { method: 'PUT', body: 'x'.repeat(1_020) });
    expect(big.status).to.equal(422);
    expect(((await big.json()) as { error: string }).error).to.include('the limit is 1024');
    expect(await (await kv(a, 'k2')).text()).to.equal('k2');
    expect(await refused(a, 'kv', 'full')).to.equal(2);
    expect(a.logs.some((l) => l.msg?.startsWith('refused') && String(l.resource) === 'kv')).to.equal(true);
  });

  it("through gossip: another agent's new keys are refused by the full agent, which keeps its own", async () => {
    b = await agents.start(agentArgs('lim-b', '--join', a.gossipAddr));
    await eventually('b sees a', async () =>
      ((await (await fetch(`${b.url}/v1/members`)).json()) as Array<{ name: string; state: string }>).some(
        (m) => m.name === 'lim-a' && m.state === 'alive',
      ),
    );
    const before = await refused(a, 'kv', 'full');
    expect((await kv(b, 'from-b', { method: 'PUT', body: 'b' })).status).to.equal(204);
    await eventually("a refused b's key", async () => (await refused(a, 'kv', 'full')) > before);
    expect((await kv(a, 'from-b')).status).to.equal(404);
    expect(await (await kv(a, 'k1')).text()).to.equal('again');
    // b, without the limit, holds a's keys and its own.
    await eventually("b has a's keys", async () => (await kv(b, 'k3')).status === 200);
    expect((await kv(b, 'from-b')).status).to.equal(200);
  });

  it('over eventDedupeMaxOrigins the least recently heard sender is forgotten, counted', async () => {
    const fire = (on: AgentProcess, name: string) =>
      fetch(`${on.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, payload: 'p' }),
      });
    expect(await refused(a, 'event-dedupe', 'evicted-origin')).to.equal(0);
    expect((await fire(a, 'from-a')).status).to.equal(202);
    expect((await fire(b, 'from-b')).status).to.equal(202);
    await eventually(
      'a forgot an origin',
      async () => (await refused(a, 'event-dedupe', 'evicted-origin')) >= 1,
    );
  });
});
