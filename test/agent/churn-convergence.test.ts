// Convergence after churn (issue 11), with real `grapevine agent` processes on loopback: an agent
// that joins after a member left (SIGTERM) or died (kill -9) learns that record, and every agent's
// view digest (/v1/self) becomes equal — the digest covers the live membership, so records of the
// departed that older agents hold (until reaped) do not keep the cluster "not converged".
import { expect } from 'chai';
import type { MemberView, SelfView } from '../../src/agent/agent-api.js';
import { AgentProcess, metric } from '../support/agent-process.js';
import { eventually } from '../support/process-cluster.js';

const FAST = ['--probe-interval-ms', '300', '--probe-timeout-ms', '150', '--gossip-interval-ms', '60'];
const base = (name: string) => ['--name', name, '--bind', '127.0.0.1:0', '--http', '127.0.0.1:0', ...FAST];

async function stateOf(observer: AgentProcess, member: string): Promise<string | undefined> {
  const members = await observer.json<MemberView[]>('/v1/members');
  return members.find((m) => m.name === member)?.state;
}

async function digests(agents: AgentProcess[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const a of agents) out.add((await a.json<SelfView>('/v1/self')).viewDigest);
  return out;
}

async function allSee(agents: AgentProcess[], member: string, state: string): Promise<boolean> {
  for (const a of agents) if ((await stateOf(a, member)) !== state) return false;
  return true;
}

describe('convergence after churn (real agent processes, issue 11)', function () {
  this.timeout(120_000);
  const agents: AgentProcess[] = [];
  const start = async (name: string, join?: AgentProcess) => {
    const a = await AgentProcess.start([...base(name), ...(join ? ['--join', join.gossipAddr] : [])]);
    agents.push(a);
    return a;
  };
  after(async () => {
    for (const a of agents) await a.stop('SIGKILL');
  });

  it('a join after a leave and a join after a kill -9: the newcomers learn left/dead, one view digest', async () => {
    const a1 = await start('a1');
    const a2 = await start('a2', a1);
    const a3 = await start('a3', a1);
    expect(await eventually(async () => (await digests([a1, a2, a3])).size === 1, 20_000)).to.equal(true);

    await a3.stop('SIGTERM');
    expect(await eventually(() => allSee([a1, a2], 'a3', 'left'), 15_000), 'a3 left').to.equal(true);
    const a4 = await start('a4', a2);
    let live = [a1, a2, a4];
    expect(await eventually(() => allSee(live, 'a4', 'alive'), 15_000), 'a4 joined').to.equal(true);
    expect(await eventually(() => allSee(live, 'a3', 'left'), 15_000), 'a4 learns a3 left').to.equal(true);
    expect(await eventually(async () => (await digests(live)).size === 1, 15_000), 'one digest').to.equal(
      true,
    );

    await a2.stop('SIGKILL');
    expect(await eventually(() => allSee([a1, a4], 'a2', 'dead'), 30_000), 'a2 dead').to.equal(true);
    // Its host (this one) refused the TCP fallback probe: the probe that found it ended early.
    const refused = (a: AgentProcess) => metric(a, 'grapevine_fallback_probes_refused_total');
    expect((await refused(a1)) + (await refused(a4)), 'refused fallback probes').to.be.greaterThan(0);
    const a5 = await start('a5', a1);
    live = [a1, a4, a5];
    expect(await eventually(() => allSee(live, 'a5', 'alive'), 15_000), 'a5 joined').to.equal(true);
    expect(await eventually(() => allSee(live, 'a2', 'dead'), 15_000), 'a5 learns a2 dead').to.equal(true);
    expect(await eventually(() => allSee(live, 'a3', 'left'), 15_000), 'a5 learns a3 left').to.equal(true);
    expect(await eventually(async () => (await digests(live)).size === 1, 15_000), 'one digest').to.equal(
      true,
    );
  });
});
