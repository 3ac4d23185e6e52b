// `grapevine force-leave NAME` (issue 11) through the real command tree against real agent
// processes with an API token: kill -9 one, force it to leave, every other agent sees `left`;
// alive, unknown and self are refused with one line and exit 1; no token is a 401.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { MemberView } from '../../src/agent/agent-api.js';
import { AgentProcess } from '../support/agent-process.js';
import { eventually } from '../support/process-cluster.js';
import { runGrapevine } from '../support/run-cli.js';

const FAST = ['--probe-interval-ms', '300', '--probe-timeout-ms', '150', '--gossip-interval-ms', '60'];

describe('grapevine force-leave (real agent processes)', function () {
  this.timeout(120_000);
  const agents: AgentProcess[] = [];
  let dir: string;
  let token: string;
  const start = async (name: string, join?: AgentProcess) => {
    const a = await AgentProcess.start([
      ...['--name', name, '--bind', '127.0.0.1:0', '--http', '127.0.0.1:0', ...FAST],
      ...['--api-token-file', token],
      ...(join ? ['--join', join.gossipAddr] : []),
    ]);
    agents.push(a);
    return a;
  };
  const stateOf = async (observer: AgentProcess, member: string) => {
    const res = await fetch(`${observer.url}/v1/members`, { headers: { authorization: 'Bearer s3cret' } });
    return ((await res.json()) as MemberView[]).find((m) => m.name === member)?.state;
  };
  const allSee = async (observers: AgentProcess[], member: string, state: string) => {
    for (const o of observers) if ((await stateOf(o, member)) !== state) return false;
    return true;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gv-force-leave-'));
    token = join(dir, 'token');
    writeFileSync(token, 's3cret\n');
  });
  after(async () => {
    for (const a of agents) await a.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('kill -9 one agent, force-leave it: all others see left; alive, unknown, self and no token are refused', async () => {
    const a1 = await start('a1');
    const a2 = await start('a2', a1);
    const a3 = await start('a3', a1);
    const victim = await start('victim', a1);
    const survivors = [a1, a2, a3];
    expect(await eventually(() => allSee(survivors, 'victim', 'alive'), 20_000), 'joined').to.equal(true);
    const cli = (agent: AgentProcess, ...argv: string[]) =>
      runGrapevine(...argv, '--agent', agent.url, '--token-file', token);

    // Not failed yet: refused, nothing changes.
    let r = await cli(a1, 'force-leave', 'victim');
    expect(r.code).to.equal(1);
    expect(r.err).to.match(
      /^grapevine: agent at .* answered 409: force-leave: 'victim' is alive: only a failed/,
    );
    expect(r.err.trimEnd().split('\n')).to.have.length(1);
    expect(await stateOf(a1, 'victim')).to.equal('alive');

    await victim.stop('SIGKILL');
    expect(await eventually(() => allSee(survivors, 'victim', 'dead'), 30_000), 'dead').to.equal(true);

    r = await runGrapevine('force-leave', 'victim', '--agent', a2.url);
    expect(r.code, 'without the token').to.equal(1);
    expect(r.err).to.match(/answered 401/);
    expect(await stateOf(a2, 'victim')).to.equal('dead');

    r = await cli(a2, 'force-leave', 'victim');
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.equal('victim marked left (was dead); the cluster will reap it\n');
    expect(await eventually(() => allSee(survivors, 'victim', 'left'), 15_000), 'left everywhere').to.equal(
      true,
    );
    r = await cli(a3, 'force-leave', 'victim', '--json');
    expect(JSON.parse(r.out)).to.deep.equal({ name: 'victim', state: 'left', previous: 'left' });

    r = await cli(a1, 'force-leave', 'nobody');
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/answered 404: force-leave: no member named 'nobody'/);
    r = await cli(a1, 'force-leave', 'a1');
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/answered 409: force-leave: 'a1' is this agent: use 'grapevine leave'/);
    r = await cli(a1, 'force-leave');
    expect(r.code, 'usage error').to.equal(2);
    // A name no agent can have (the member-name rule) is a usage error before any call.
    r = await cli(a1, 'force-leave', 'bad name');
    expect(r.code, 'usage error').to.equal(2);
    expect(r.err).to.match(/'bad name' is not a member name \(1 to 128 ASCII letters/);
  });
});
