// Issue 12 on real sockets: a core whose seed is not listening yet (connection refused) keeps
// trying its seeds while it is alone, with a short, growing delay, and joins moments after the seed
// starts. No agent-side retry here (startLocalNode, not the agent): before the core did this, the
// node tried again only at its reconnect interval, set to an hour here.
import { expect } from 'chai';
import { resolveEngineConfig } from '../../src/agent/config/engine-schema.js';
import { type LocalNode, startLocalNode } from '../../src/agent/runtime/local-node.js';
import { freePort } from '../support/free-port.js';
import { eventually } from '../support/process-cluster.js';

describe('joining a seed that starts later (real UDP/TCP, core only)', function () {
  this.timeout(60_000);
  const nodes: LocalNode[] = [];
  after(async () => {
    for (const n of nodes) await n.close();
  });

  it('the refused exchange ends at once and the alone node retries its seed until it answers', async () => {
    const config = resolveEngineConfig({ reconnectIntervalMs: 3_600_000, antiEntropy: { enabled: false } });
    const seedAddr = `127.0.0.1:${await freePort()}`;
    const early = await startLocalNode({ name: 'early', bind: '127.0.0.1:0', config, seeds: [seedAddr] });
    nodes.push(early);
    // The transport told the core that the connection was refused: the join exchange is over.
    expect(await eventually(async () => early.node.stats.antiEntropyAborted >= 1, 10_000)).to.equal(true);
    const seed = await startLocalNode({ name: 'seed', bind: seedAddr, config });
    nodes.push(seed);
    const met = async () =>
      seed.node.member('early')?.state === 'alive' && early.node.member('seed')?.state === 'alive';
    expect(await eventually(met, 20_000)).to.equal(true);
    expect(early.node.stats.antiEntropyAborted, 'each refused attempt ended its session').to.be.at.least(1);
  });
});
