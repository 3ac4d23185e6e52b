// Issue 8, finding 7 (agent side), against real agent processes: with a token, the write routes
// refuse unauthenticated pods (no leave, no key written, no event), the probes and /metrics stay
// open, and requireApiToken makes an agent without a token refuse to start.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { AgentProcess } from '../support/agent-process.js';
import { Agents, agentArgs } from './helpers.js';

describe('hardening: API token on the write routes (real agent process)', function () {
  this.timeout(60_000);
  const agents = new Agents();
  const dir = mkdtempSync(join(tmpdir(), 'gv-token-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 's3cret\n');
  let a: AgentProcess;
  before(async () => {
    a = await agents.start(agentArgs('tok1', '--api-token-file', tokenFile, '--require-api-token', 'true'));
  });
  after(() => agents.stopAll());

  it('refuses leave, kv writes and events without the token, and changes nothing', async () => {
    const calls: Array<[string, string, RequestInit?]> = [
      ['POST', '/v1/leave'],
      ['PUT', '/v1/kv/x', { body: 'v' }],
      ['DELETE', '/v1/kv/x'],
      ['POST', '/v1/events', { body: '{"name":"e"}', headers: { 'content-type': 'application/json' } }],
    ];
    for (const [method, path, init] of calls) {
      const res = await fetch(`${a.url}${path}`, { method, ...init });
      expect(res.status, `${method} ${path}`).to.equal(401);
    }
    const auth = { authorization: 'Bearer s3cret' };
    expect((await fetch(`${a.url}/v1/kv/x`, { headers: auth })).status).to.equal(404);
    expect((await fetch(`${a.url}/v1/self`, { headers: auth })).status).to.equal(200);
    expect(a.proc.exitCode).to.equal(null);
    expect((await fetch(`${a.url}/v1/kv/x`, { method: 'PUT', body: 'v', headers: auth })).status).to.equal(
      204,
    );
  });

  it('keeps /healthz, /readyz and /metrics open for the kubelet and Prometheus', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics'])
      expect((await fetch(`${a.url}${path}`)).status, path).to.equal(200);
  });

  it('refuses to start with requireApiToken but no token file', async () => {
    const p = AgentProcess.spawn([...agentArgs('tok2'), '--require-api-token', 'true']);
    const timer = setTimeout(() => p.proc.kill('SIGKILL'), 30_000);
    const { code } = await p.exited;
    clearTimeout(timer);
    expect(code).to.not.equal(0);
    expect(p.stderr).to.include('requireApiToken');
  });
});
