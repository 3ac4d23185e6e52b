// A node whose seed is not listening yet must still join once the seed comes up, without waiting
// for the core's reconnect interval (issue 12: a 30-agent cluster took 17 s to form because joins
// that hit a seed before it listened were retried only every 10 s). The reconnect interval is set
// to an hour here, so only the join retries of a node that is alone (the core's, since issue 12's
// core change; the agent's before) can make this pass.
import { expect } from 'chai';
import type { MemberView } from '../../src/agent/agent-api.js';
import { AgentProcess } from '../support/agent-process.js';
import { freePort } from '../support/free-port.js';
import { eventually } from '../support/process-cluster.js';

const NO_RECONNECT = ['--reconnect-interval-ms', '3600000'];

async function sees(observer: AgentProcess, member: string): Promise<boolean> {
  const members = await observer.json<MemberView[]>('/v1/members');
  return members.some((m) => m.name === member && m.state === 'alive');
}

describe('grapevine agent: joining a seed that starts later', function () {
  this.timeout(60_000);
  const agents: AgentProcess[] = [];
  after(async () => {
    for (const a of agents) await a.stop('SIGKILL');
  });

  it('with --retry-join, retries --join until the seed answers, instead of waiting for the reconnect interval', async () => {
    const seedAddr = `127.0.0.1:${await freePort()}`;
    const early = await AgentProcess.start([
      ...['--name', 'early', '--bind', '127.0.0.1:0', '--http', '127.0.0.1:0', '--join', seedAddr],
      ...['--retry-join', 'true'],
      ...NO_RECONNECT,
    ]);
    agents.push(early);
    // The early agent's first join attempt has been lost by now (nothing listens on seedAddr).
    await new Promise((r) => setTimeout(r, 500));
    const seed = await AgentProcess.start([
      ...['--name', 'seed', '--bind', seedAddr, '--http', '127.0.0.1:0'],
      ...NO_RECONNECT,
    ]);
    agents.push(seed);
    expect(await eventually(() => sees(seed, 'early'), 20_000)).to.equal(true);
    expect(await eventually(() => sees(early, 'seed'), 5_000)).to.equal(true);
  });
});
