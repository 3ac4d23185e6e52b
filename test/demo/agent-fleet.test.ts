// The demo's fleet on real `grapevine agent` processes: start, SIGKILL, SIGSTOP/SIGCONT, restart on new
// ports under the same name, and a clean stop. Plus the small pieces it relies on.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { expect } from 'chai';
import type { MemberView, SelfView } from '../../src/agent/agent-api.js';
import { agentArgs, defaultGrapevineCommand } from '../../src/demo/agent-command-line.js';
import {
  AgentFleet,
  AgentStartError,
  AgentStateError,
  demoAgentName,
  UnknownAgentError,
} from '../../src/demo/agent-fleet.js';
import { reserveAgentPorts } from '../../src/demo/free-ports.js';
import { isAlive, procState, waitFor } from './wait-for.js';

async function getJson<T>(url: string, timeoutMs = 1_000): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

describe('demo: agent fleet (real agent processes)', function () {
  this.timeout(120_000);
  let fleet: AgentFleet;
  const pidsSeen = new Set<number>();

  before(async () => {
    fleet = new AgentFleet({ nodes: 3 });
    await fleet.start();
    for (const a of fleet.agents()) if (a.pid) pidsSeen.add(a.pid);
  });

  after(async () => {
    await fleet?.stopAll();
  });

  it('starts every agent on its own ports and they form one cluster', async () => {
    const agents = fleet.agents();
    expect(agents.map((a) => a.name)).to.deep.equal(['demo-01', 'demo-02', 'demo-03']);
    expect(agents.every((a) => a.state === 'running' && a.pid && isAlive(a.pid))).to.equal(true);
    expect(new Set(agents.map((a) => a.httpUrl)).size).to.equal(3);
    expect(new Set(agents.map((a) => a.gossipAddr)).size).to.equal(3);
    for (const a of agents) {
      const self = await getJson<SelfView>(`${a.httpUrl}/v1/self`);
      expect(self.name).to.equal(a.name);
      expect(self.addr).to.equal(a.gossipAddr);
    }
    await waitFor(
      'every agent to list all three alive',
      () => Promise.all(agents.map((a) => getJson<MemberView[]>(`${a.httpUrl}/v1/members`))),
      (views) => views.every((v) => v.filter((m) => m.state === 'alive').length === 3),
      20_000,
    );
  });

  it('freeze stops the process (SIGSTOP) and resume continues it (SIGCONT)', async () => {
    const before = fleet.agent('demo-02');
    const frozen = await fleet.freeze('demo-02');
    expect(frozen.state).to.equal('frozen');
    // kill(2) returns before every thread has stopped: /proc can still say R for a moment (a CI run
    // caught it), so wait for T rather than read it once.
    await waitFor(
      'the frozen agent to be stopped (T)',
      () => procState(before.pid!),
      (st) => st === 'T',
      2_000,
      10,
    );
    let answered = true;
    try {
      await getJson(`${before.httpUrl}/v1/self`, 500);
    } catch {
      answered = false;
    }
    expect(answered, 'a frozen agent must not answer').to.equal(false);
    await expectRejects(fleet.freeze('demo-02'), AgentStateError);

    const resumed = await fleet.resume('demo-02');
    expect(resumed.state).to.equal('running');
    expect(resumed.pid).to.equal(before.pid);
    expect((await getJson<SelfView>(`${before.httpUrl}/v1/self`, 3_000)).name).to.equal('demo-02');
    await expectRejects(fleet.resume('demo-02'), AgentStateError);
  });

  it('kill ends the process with SIGKILL and the others declare it dead', async () => {
    const victim = fleet.agent('demo-03');
    const killed = await fleet.kill('demo-03');
    expect(killed.state).to.equal('killed');
    expect(killed.pid).to.equal(null);
    expect(isAlive(victim.pid!)).to.equal(false);
    await expectRejects(fleet.kill('demo-03'), AgentStateError);
    const observer = fleet.agent('demo-01');
    await waitFor(
      'demo-01 to see demo-03 dead',
      () => getJson<MemberView[]>(`${observer.httpUrl}/v1/members`),
      (v) => v.find((m) => m.name === 'demo-03')?.state === 'dead',
      20_000,
    );
  });

  it('restart starts a new process under the same name on new ports, seen alive at the new address', async () => {
    const old = fleet.agent('demo-03');
    const fresh = await fleet.restart('demo-03');
    pidsSeen.add(fresh.pid!);
    expect(fresh.name).to.equal('demo-03');
    expect(fresh.state).to.equal('running');
    expect(fresh.starts).to.equal(2);
    expect(fresh.pid).to.not.equal(old.pid);
    expect(fresh.gossipAddr).to.not.equal(old.gossipAddr);
    expect(fresh.httpUrl).to.not.equal(old.httpUrl);
    const observer = fleet.agent('demo-01');
    await waitFor(
      'demo-01 to see demo-03 alive at its new address',
      () => getJson<MemberView[]>(`${observer.httpUrl}/v1/members`),
      (v) => v.some((m) => m.name === 'demo-03' && m.state === 'alive' && m.addr === fresh.gossipAddr),
      20_000,
    );
  });

  it('restart of a running agent kills the old process first', async () => {
    const old = fleet.agent('demo-02');
    const fresh = await fleet.restart('demo-02');
    pidsSeen.add(fresh.pid!);
    expect(isAlive(old.pid!)).to.equal(false);
    expect(fresh.pid).to.not.equal(old.pid);
    expect((await getJson<SelfView>(`${fresh.httpUrl}/v1/self`)).name).to.equal('demo-02');
  });

  it('reports state changes to listeners and rejects names it does not know', async () => {
    const seen: string[] = [];
    const off = fleet.onChange((a) => seen.push(`${a.name}:${a.state}`));
    await fleet.freeze('demo-01');
    await fleet.resume('demo-01');
    off();
    expect(seen).to.deep.equal(['demo-01:frozen', 'demo-01:running']);
    expect(() => fleet.agent('nope')).to.throw(UnknownAgentError);
    await expectRejects(fleet.kill('nope'), UnknownAgentError);
  });

  it('stopAll ends every process, frozen ones included', async () => {
    await fleet.freeze('demo-01');
    await fleet.stopAll();
    expect(fleet.agents().every((a) => a.state === 'killed' || a.state === 'exited')).to.equal(true);
    for (const pid of pidsSeen) expect(isAlive(pid), `pid ${pid}`).to.equal(false);
  });
});

describe('demo: agent fleet failures', function () {
  this.timeout(30_000);

  it('a process that exits while starting fails start() with what it printed', async () => {
    const fleet = new AgentFleet({
      nodes: 1,
      command: {
        file: process.execPath,
        args: ['-e', 'console.error("boom: no agent here"); process.exit(3)'],
      },
    });
    try {
      await expectRejects(
        fleet.start(),
        AgentStartError,
        /demo-01 exited while starting \(code 3\): boom: no agent here/,
      );
      expect(fleet.agent('demo-01').state).to.equal('exited');
    } finally {
      await fleet.stopAll();
    }
  });

  it('a process that never answers HTTP is killed after the start timeout', async () => {
    const fleet = new AgentFleet({
      nodes: 1,
      startTimeoutMs: 1_000,
      command: { file: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] },
    });
    await expectRejects(fleet.start(), AgentStartError, /did not answer .* within 1000 ms/);
    expect(fleet.agent('demo-01').state).to.equal('killed');
    await fleet.stopAll();
  });
});

describe('demo: fleet helpers', () => {
  it('names agents demo-01 … with enough digits for the fleet size', () => {
    expect(demoAgentName(0, 16)).to.equal('demo-01');
    expect(demoAgentName(15, 16)).to.equal('demo-16');
    expect(demoAgentName(4, 120)).to.equal('demo-005');
  });

  it('builds the agent command line with demo timings and the join address', () => {
    const args = agentArgs({
      name: 'demo-02',
      host: '127.0.0.1',
      gossipPort: 4000,
      httpPort: 4001,
      join: '127.0.0.1:3000',
    });
    expect(args.slice(0, 11)).to.deep.equal([
      'agent',
      '--name',
      'demo-02',
      '--bind',
      '127.0.0.1:4000',
      '--http',
      '127.0.0.1:4001',
      '--join',
      '127.0.0.1:3000',
      '--retry-join',
      'true',
    ]);
    expect(args).to.include.members(['--probe-interval-ms', '--gossip-interval-ms', '--suspicion-mult']);
    expect(agentArgs({ name: 'a', host: 'h', gossipPort: 1, httpPort: 2, join: null })).to.not.include(
      '--join',
    );
  });

  it('runs the sources through tsx, and the built entry with plain node when it exists', () => {
    const fromSource = defaultGrapevineCommand(
      new URL('../../src/demo/agent-command-line.ts', import.meta.url).href,
    );
    expect(fromSource.file).to.equal(process.execPath);
    expect(fromSource.args[0]).to.equal('--import');
    expect(fromSource.args[2]).to.match(/cmd[/\\]grapevine\.ts$/);
    // A .js module whose ../../cmd/grapevine.js is missing falls back to the sources.
    const noBuild = defaultGrapevineCommand('file:///nonexistent/dist/src/demo/agent-command-line.js');
    expect(noBuild.args).to.include('--import');
  });

  it('reserves distinct ports that are free for UDP and TCP', async () => {
    const pairs = await reserveAgentPorts('127.0.0.1', 4);
    const all = pairs.flatMap((p) => [p.gossip, p.http]);
    expect(new Set(all).size).to.equal(8);
    for (const { gossip } of pairs) {
      await new Promise<void>((resolve, reject) => {
        const udp = createSocket('udp4');
        udp.once('error', reject);
        udp.bind(gossip, '127.0.0.1', () => {
          const tcp = createServer();
          tcp.once('error', reject);
          tcp.listen(gossip, '127.0.0.1', () => {
            tcp.close();
            udp.close();
            resolve();
          });
        });
      });
    }
  });
});

async function expectRejects(
  p: Promise<unknown>,
  type: new (...a: never[]) => Error,
  message?: RegExp,
): Promise<void> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(type);
    if (message) expect((err as Error).message).to.match(message);
    return;
  }
  expect.fail(`expected a ${type.name}`);
}
