// `grapevine agent` as real processes on loopback: joining (--join, --join-dns), the HTTP API
// against a real agent, metrics that move, SIGTERM → left, hot reload, and config errors.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { MemberView, SelfView } from '../../src/agent/agent-api.js';
import { AgentProcess, metric } from '../support/agent-process.js';
import { startDnsServer } from '../support/dns-server.js';
import { eventually } from '../support/process-cluster.js';

const FAST = ['--probe-interval-ms', '300', '--probe-timeout-ms', '150', '--gossip-interval-ms', '60'];
const base = (name: string) => ['--name', name, '--bind', '127.0.0.1:0', '--http', '127.0.0.1:0', ...FAST];

async function sees(observer: AgentProcess, member: string, state: string): Promise<boolean> {
  const members = await observer.json<MemberView[]>('/v1/members');
  return members.some((m) => m.name === member && m.state === state);
}

/** Reads Server-Sent Events from url until `stop()`; collects (event, data) pairs. */
function sse(url: string): { events: Array<{ event: string; data: unknown }>; stop(): void } {
  const events: Array<{ event: string; data: unknown }> = [];
  const ctrl = new AbortController();
  void (async () => {
    try {
      const res = await fetch(url, { signal: ctrl.signal });
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += value;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (ev && data) events.push({ event: ev, data: JSON.parse(data) });
        }
      }
    } catch {
      // aborted
    }
  })();
  return { events, stop: () => ctrl.abort() };
}

describe('grapevine agent (real processes on 127.0.0.1)', function () {
  this.timeout(90_000);
  const agents: AgentProcess[] = [];
  let dns: Awaited<ReturnType<typeof startDnsServer>> | undefined;
  let a1: AgentProcess;
  let a2: AgentProcess;
  let a3: AgentProcess;
  const start = async (args: string[], env: Record<string, string> = {}) => {
    const a = await AgentProcess.start(args, env);
    agents.push(a);
    return a;
  };

  before(async () => {
    a1 = await start(base('a1'));
  });
  after(async () => {
    for (const a of agents) await a.stop('SIGKILL');
    dns?.close();
  });

  it('joins through --join and reports ready', async () => {
    a2 = await start([...base('a2'), '--join', a1.gossipAddr]);
    expect(
      await eventually(
        async () => (await sees(a1, 'a2', 'alive')) && (await sees(a2, 'a1', 'alive')),
        15_000,
      ),
    ).to.equal(true);
    expect((await fetch(`${a2.url}/readyz`)).status).to.equal(200);
    expect((await fetch(`${a2.url}/healthz`)).status).to.equal(200);
  });

  it('joins through --join-dns (SRV records from a DNS server)', async () => {
    const [host, port] = a1.gossipAddr.split(':');
    dns = await startDnsServer({
      srv: { 'seeds.grapevine.test': [{ target: 'a1.grapevine.test', port: Number(port) }] },
      a: { 'a1.grapevine.test': [host!] },
    });
    a3 = await start([...base('a3'), '--join-dns', 'seeds.grapevine.test'], {
      GRAPEVINE_DNS_SERVERS: dns.addr,
    });
    expect(await eventually(() => sees(a1, 'a3', 'alive'), 15_000)).to.equal(true);
    expect(await eventually(() => sees(a2, 'a3', 'alive'), 15_000)).to.equal(true);
    expect(dns.queries).to.include('SRV seeds.grapevine.test');
  });

  it('serves members, self and key/values, with JSON errors for bad requests', async () => {
    const self = await a2.json<SelfView>('/v1/self');
    expect(self).to.include({ name: 'a2', state: 'alive', cluster: 'default', ready: true });
    expect(self.restartRequired).to.deep.equal([]);
    const put = await fetch(`${a1.url}/v1/kv/color`, { method: 'PUT', body: 'blue' });
    expect(put.status).to.equal(204);
    expect(
      await eventually(async () => (await (await fetch(`${a3.url}/v1/kv/color`)).text()) === 'blue', 10_000),
    ).to.equal(true);
    expect((await fetch(`${a1.url}/v1/kv/missing`)).status).to.equal(404);
    const bad = await fetch(`${a1.url}/v1/events`, {
      method: 'POST',
      body: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { error: string }).error)
      .to.be.a('string')
      .and.not.equal('');
    const tooBig = await fetch(`${a1.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'big', payload: 'x'.repeat(600) }),
    });
    expect(tooBig.status).to.equal(422);
    expect(((await tooBig.json()) as { error: string }).error).to.match(/maxPayloadBytes/);
    const huge = await fetch(`${a1.url}/v1/kv/huge`, { method: 'PUT', body: 'x'.repeat(200_000) });
    expect(huge.status).to.equal(413);
    expect((await fetch(`${a1.url}/v1/nope`)).status).to.equal(404);
    const del = await fetch(`${a1.url}/v1/kv/color`, { method: 'DELETE' });
    expect(del.status).to.equal(204);
  });

  it('streams a fired event to every agent and moves the infection-spread metrics', async () => {
    const watchers = [a2, a3].map((a) => sse(`${a.url}/v1/events`));
    const before = await Promise.all(
      [a2, a3].map((a) => metric(a, 'grapevine_rumor_spread_seconds_count', 'kind="user-event"')),
    );
    await new Promise((r) => setTimeout(r, 300));
    const fired = await fetch(`${a1.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'deploy', payload: 'v2' }),
    });
    expect(fired.status).to.equal(202);
    const got = await eventually(
      async () =>
        watchers.every((w) =>
          w.events.some((e) => e.event === 'user-event' && (e.data as { name: string }).name === 'deploy'),
        ),
      10_000,
    );
    for (const w of watchers) w.stop();
    expect(got).to.equal(true);
    const ev = watchers[0]!.events.find((e) => e.event === 'user-event')!.data as {
      origin: string;
      hops: number;
      payload: string;
    };
    expect(ev).to.include({ origin: 'a1', payload: 'v2' });
    expect(ev.hops).to.be.at.least(1);
    const after = await Promise.all(
      [a2, a3].map((a) => metric(a, 'grapevine_rumor_spread_seconds_count', 'kind="user-event"')),
    );
    expect(after[0]).to.be.greaterThan(before[0]!);
    expect(after[1]).to.be.greaterThan(before[1]!);
    expect(await metric(a1, 'grapevine_members', 'state="alive"')).to.equal(3);
  });

  it('exports process and Node.js metrics (event-loop lag) and no per-digest series', async () => {
    const text = await (await fetch(`${a1.url}/metrics`)).text();
    for (const family of [
      'process_resident_memory_bytes',
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
      'grapevine_view_digest',
    ])
      expect(text).to.match(new RegExp(`^${family} \\d`, 'm'));
    expect(text).to.not.include('grapevine_view_digest_info');
  });

  it('leaves on SIGTERM: exit 0, and peers record left', async () => {
    await a3.stop('SIGTERM');
    expect((await a3.exited).code).to.equal(0);
    expect(
      await eventually(async () => (await sees(a1, 'a3', 'left')) && (await sees(a2, 'a3', 'left')), 10_000),
    ).to.equal(true);
  });

  it('hot-reloads a tunable from its config file, and flags what needs a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gv-reload-'));
    const file = join(dir, 'agent.yaml');
    const yaml = (probe: number, bind: string) =>
      `name: r1\nbind: ${bind}\nhttp: 127.0.0.1:0\njoin: ["${a1.gossipAddr}"]\ngossip:\n  probeIntervalMs: ${probe}\n  probeTimeoutMs: 150\n`;
    writeFileSync(file, yaml(400, '127.0.0.1:0'));
    const r1 = await start(['--config', file]);
    writeFileSync(file, yaml(250, '127.0.0.1:0'));
    const reloaded = await r1.waitForLog((l) => l.msg === 'config reloaded', 15_000);
    expect(reloaded.applied).to.deep.equal(['gossip.probeIntervalMs']);
    expect((await r1.json<SelfView>('/v1/self')).restartRequired).to.deep.equal([]);
    writeFileSync(file, yaml(250, '127.0.0.1:1'));
    expect(
      await eventually(
        async () => (await r1.json<SelfView>('/v1/self')).restartRequired.includes('bind'),
        15_000,
      ),
    ).to.equal(true);
    // A broken file is refused; the agent keeps running on the last good config.
    writeFileSync(file, 'gossip: [');
    await r1.waitForLog((l) => l.msg === 'config reload failed; keeping the running config', 15_000);
    expect((await fetch(`${r1.url}/healthz`)).status).to.equal(200);
  });

  it('requires the bearer token from --api-token-file (health and metrics stay open)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gv-token-'));
    writeFileSync(join(dir, 'token'), 's3cret\n');
    const t = await start([...base('t1'), '--api-token-file', join(dir, 'token')]);
    expect((await fetch(`${t.url}/v1/members`)).status).to.equal(401);
    expect(
      (await fetch(`${t.url}/v1/members`, { headers: { authorization: 'Bearer wrong' } })).status,
    ).to.equal(401);
    expect(
      (await fetch(`${t.url}/v1/members`, { headers: { authorization: 'Bearer s3cret' } })).status,
    ).to.equal(200);
    expect((await fetch(`${t.url}/healthz`)).status).to.equal(200);
    expect((await fetch(`${t.url}/metrics`)).status).to.equal(200);
  });
});

describe('grapevine agent: configuration errors', function () {
  this.timeout(30_000);

  async function fails(args: string[]): Promise<{ code: number | null; stderr: string }> {
    const a = AgentProcess.spawn(args);
    const { code } = await a.exited;
    return { code, stderr: a.stderr };
  }

  it('an invalid flag value: exit 2, one line naming the flag', async () => {
    const r = await fails(['--probe-interval-ms', 'fast']);
    expect(r.code).to.equal(2);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/probe-interval-ms/);
  });

  it('an unknown key and a cross-field violation in the file: exit 2 naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gv-bad-'));
    const unknown = join(dir, 'unknown.yaml');
    writeFileSync(unknown, 'gossip:\n  probeIntervalMz: 100\n');
    let r = await fails(['--config', unknown]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/probeIntervalMz/);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    const cross = join(dir, 'cross.yaml');
    writeFileSync(cross, 'gossip:\n  probeIntervalMs: 500\n  probeTimeoutMs: 800\n');
    r = await fails(['--config', cross]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/probeTimeoutMs/);
    r = await fails(['--config', join(dir, 'missing.yaml')]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/missing\.yaml/);
  });
});
