// `grapevine agent` start-up failures as real processes: a port in use and unreachable seeds must
// end in one line and a non-zero exit with everything released; --retry-join says once that it
// keeps trying, and why, then joins when a seed appears.
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { reserveAgentPorts } from '../../src/demo/free-ports.js';
import { AgentProcess } from '../support/agent-process.js';

const FAST = ['--probe-interval-ms', '300', '--probe-timeout-ms', '150', '--gossip-interval-ms', '60'];

/** True when both UDP and TCP can bind 127.0.0.1:port (the process that held it released it). */
async function portFree(port: number): Promise<boolean> {
  const tcp = await new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: '127.0.0.1', port, exclusive: true }, () => s.close(() => resolve(true)));
  });
  const udp = await new Promise<boolean>((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind({ address: '127.0.0.1', port, exclusive: true }, () => s.close(() => resolve(true)));
  });
  return tcp && udp;
}

describe('grapevine agent: start-up failures (real processes)', function () {
  this.timeout(60_000);
  const agents: AgentProcess[] = [];
  after(async () => {
    for (const a of agents) await a.stop('SIGKILL');
  });

  it('logs readable text with --log-format text (JSON when piped by default)', async () => {
    const a = AgentProcess.spawn([
      '--name',
      'texty',
      '--bind',
      '127.0.0.1:0',
      '--http',
      '127.0.0.1:0',
      '--log-format',
      'text',
    ]);
    agents.push(a);
    const line = await a.waitForLog((l) => l.msg.includes('agent started'), 30_000);
    expect(line.level).to.equal(0); // not JSON
    expect(line.msg).to.match(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}agent started {2}name=texty gossipAddr=127\.0\.0\.1:\d+ /,
    );
    await a.stop();
  });

  it('HTTP port in use: one line naming --http, exit 1, gossip port released', async () => {
    const [holder, mine] = await reserveAgentPorts('127.0.0.1', 2);
    const first = await AgentProcess.start([
      '--name',
      'holder',
      '--bind',
      `127.0.0.1:${holder!.gossip}`,
      '--http',
      `127.0.0.1:${holder!.http}`,
    ]);
    agents.push(first);
    const second = AgentProcess.spawn([
      '--name',
      'second',
      '--bind',
      `127.0.0.1:${mine!.gossip}`,
      '--http',
      `127.0.0.1:${holder!.http}`,
    ]);
    const { code } = await second.exited;
    expect(code).to.equal(1);
    const lines = second.stderr.trim().split('\n');
    expect(lines, second.stderr).to.have.length(1);
    expect(lines[0]).to.equal(
      `grapevine: cannot bind the HTTP API to 127.0.0.1:${holder!.http}: address already in use (is another agent running?); choose another --http`,
    );
    expect(await portFree(mine!.gossip)).to.equal(true);
  });

  it('gossip port in use: one line naming --bind, exit 1', async () => {
    const first = agents.find((a) => a.name === 'holder')!;
    const port = first.gossipAddr.split(':')[1];
    const second = AgentProcess.spawn([
      '--name',
      'second',
      '--bind',
      `127.0.0.1:${port}`,
      '--http',
      '127.0.0.1:0',
    ]);
    const { code } = await second.exited;
    expect(code).to.equal(1);
    expect(second.stderr.trim().split('\n'), second.stderr).to.have.length(1);
    expect(second.stderr).to.match(
      /^grapevine: cannot bind the gossip address \(UDP and TCP\) to 127\.0\.0\.1:\d+: address already in use .*choose another --bind\n$/,
    );
  });

  it("the README tour's third command: the example config plus this machine's ports joins", async () => {
    const holder = agents.find((a) => a.name === 'holder')!;
    const n3 = await AgentProcess.start([
      '--config',
      'examples/agent-config.yaml',
      '--name',
      'n3',
      '--bind',
      '127.0.0.1:0',
      '--http',
      '127.0.0.1:0',
      '--join',
      holder.gossipAddr,
    ]);
    agents.push(n3);
    await n3.waitForLog((l) => l.msg === 'joined the cluster', 20_000);
    expect((await fetch(`${n3.url}/readyz`)).status).to.equal(200);
  });

  it('--join with no reachable seed and no --retry-join: exit 1 with one line saying why', async () => {
    const [dead] = await reserveAgentPorts('127.0.0.1', 1);
    const a = AgentProcess.spawn([
      '--name',
      'lonely',
      '--bind',
      '127.0.0.1:0',
      '--http',
      '127.0.0.1:0',
      '--join',
      `127.0.0.1:${dead!.gossip}`,
    ]);
    const { code } = await a.exited;
    expect(code).to.equal(1);
    expect(a.stderr.trim().split('\n'), a.stderr).to.have.length(1);
    expect(a.stderr).to.equal(
      `grapevine: cannot join: no seed reachable (127.0.0.1:${dead!.gossip}: connection refused); start a seed first, check --join, or pass --retry-join true to keep trying\n`,
    );
    // The log says it once, as one structured line without a stack trace.
    const errors = a.logs.filter((l) => l.level >= 40);
    expect(errors.map((l) => l.msg)).to.deep.equal(['cannot join: no seed reachable; stopping']);
  });

  it('--retry-join: says once that it retries and why, then joins when a seed comes up', async () => {
    const [seedPorts] = await reserveAgentPorts('127.0.0.1', 1);
    const seedAddr = `127.0.0.1:${seedPorts!.gossip}`;
    const waiting = await AgentProcess.start([
      '--name',
      'waiting',
      '--bind',
      '127.0.0.1:0',
      '--http',
      '127.0.0.1:0',
      '--join',
      seedAddr,
      '--retry-join',
      'true',
      '--reconnect-interval-ms',
      '300',
      ...FAST,
    ]);
    agents.push(waiting);
    const retrying = await waiting.waitForLog((l) => l.msg.startsWith('no seed reachable yet'), 15_000);
    expect(retrying.reasons).to.deep.equal([`${seedAddr}: connection refused`]);
    expect((await fetch(`${waiting.url}/readyz`)).status).to.equal(503);
    // Several retries fail meanwhile; none of them is logged again, and nothing carries a stack.
    await new Promise((r) => setTimeout(r, 1_000));
    const seed = await AgentProcess.start([
      '--name',
      'seed',
      '--bind',
      seedAddr,
      '--http',
      `127.0.0.1:${seedPorts!.http}`,
      ...FAST,
    ]);
    agents.push(seed);
    await waiting.waitForLog((l) => l.msg === 'joined the cluster', 15_000);
    const warnings = waiting.logs.filter((l) => l.level >= 40);
    expect(warnings.map((l) => l.msg)).to.deep.equal([
      'no seed reachable yet; retrying the join until one answers (retryJoin)',
    ]);
    expect(waiting.logs.some((l) => 'err' in l)).to.equal(false);
    expect((await fetch(`${waiting.url}/readyz`)).status).to.equal(200);
  });

  it('tags that fill gossip.maxTagBytes still start: the version tags are left out, not the agent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gv-tags-'));
    const config = join(dir, 'agent.yaml');
    // 2 + 4 + 10 = 16 encoded bytes: within the user's limit of 20, with no room for grapevine/version.
    writeFileSync(config, 'tags:\n  role: "0123456789"\ngossip:\n  maxTagBytes: 20\n');
    const a = await AgentProcess.start([
      '--config',
      config,
      '--name',
      'full-tags',
      ...['--bind', '127.0.0.1:0'],
      ...['--http', '127.0.0.1:0'],
    ]);
    agents.push(a);
    const self = await a.json<{ tags: Record<string, string> }>('/v1/self');
    expect(self.tags).to.deep.equal({ role: '0123456789' });
    await a.stop();
    rmSync(dir, { recursive: true, force: true });
  });
});
