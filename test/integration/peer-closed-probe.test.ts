// kill -9 of an agent that holds TCP connections with a survivor (issue 12): its kernel closes them,
// the survivor's transport reports the close, and the survivor probes it at once instead of in its
// turn. Separate processes on 127.0.0.1, so the kill and the closes are real. The probe interval is
// 20 s: without the early probe the survivor would next probe the victim anywhere up to 20 s later.
import { expect } from 'chai';
import { eventually, NodeHost } from '../support/process-cluster.js';

const ENGINE = {
  probeIntervalMs: 20_000,
  probeTimeoutMs: 500,
  refusedSuspicionTimeoutMs: 500,
  gossipIntervalMs: 60,
  // Frequent exchanges, so that each side soon holds a pooled connection to the other.
  antiEntropy: { intervalMs: 300 },
};

describe('a peer that closes our TCP connection is probed at once (real processes)', function () {
  this.timeout(60_000);
  const hosts: NodeHost[] = [];
  after(async () => {
    for (const h of hosts) await h.stop();
  });

  it('kill -9: the survivor probes the victim out of turn and declares it dead within seconds', async () => {
    const survivor = await NodeHost.spawn({
      nodes: [{ name: 's', bind: '127.0.0.1:0' }],
      seeds: [],
      engine: ENGINE,
    });
    hosts.push(survivor);
    const victim = await NodeHost.spawn({
      nodes: [{ name: 'v', bind: '127.0.0.1:0' }],
      seeds: [survivor.addrs[0]!],
      engine: ENGINE,
    });
    hosts.push(victim);
    type Stats = { probesBroughtForward: number; antiEntropyRounds: number; probesSent: number };
    const stats = () => survivor.request<Stats>('stats', { node: 's' });
    // Both know each other, and the survivor has started exchanges of its own (its pooled connection).
    expect(
      await eventually(async () => {
        const v = (await survivor.members('s')).find((m) => m.name === 'v');
        return v?.state === 'alive' && (await stats()).antiEntropyRounds >= 3;
      }, 20_000),
    ).to.equal(true);
    const before = await stats();
    victim.signal('SIGKILL');
    const killedAt = Date.now();
    expect(
      await eventually(
        async () => (await survivor.members('s')).find((m) => m.name === 'v')?.state === 'dead',
        15_000,
      ),
    ).to.equal(true);
    const after = await stats();
    expect(after.probesBroughtForward - before.probesBroughtForward).to.be.at.least(1);
    expect(after.probesSent).to.be.greaterThan(before.probesSent);
    // Probe timeout + refusal + refused-suspicion cap is about 1 s; the next regular probe could have
    // been up to 20 s away. Generous, so a loaded machine does not fail it.
    expect(Date.now() - killedAt).to.be.lessThan(10_000);
  });
});
