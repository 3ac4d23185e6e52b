// How fast the core forms a cluster (issue 12), on the deterministic in-memory network: a node
// whose seed is not up yet, nodes that all join one seed at the same moment. Virtual time only;
// the bounds are protocol timers (a few probe/gossip intervals), far below the old 10–45 s waits.
import { expect } from 'chai';
import { resolveEngineConfig } from '../../src/agent/config/engine-schema.js';
import { MemoryCluster } from '../support/memory-cluster.js';

const names = (n: number) => Array.from({ length: n }, (_, i) => `node-${i}`);
const addrOf = (i: number) => `10.0.0.${i + 1}:7946`;

describe('GossipNode: joining fast (issue 12)', function () {
  this.timeout(60_000);

  it('a node whose seed is not listening yet joins moments after the seed starts, not at the reconnect interval', () => {
    // Reconnect an hour away and periodic exchanges off: only the alone node's seed retries can do it.
    const config = resolveEngineConfig({ reconnectIntervalMs: 3_600_000, antiEntropy: { enabled: false } });
    for (let seed = 1; seed <= 5; seed++) {
      const c = new MemoryCluster(seed, config);
      const early = c.add('early', addrOf(1));
      early.node.join([addrOf(0)], c.now);
      // The first exchanges are refused (nothing at addrOf(0)); the refusal ends them at once.
      c.run(1_500);
      expect(early.node.stats.antiEntropyAborted, 'refused exchanges end').to.be.greaterThan(0);
      c.add('seed', addrOf(0));
      const up = c.now;
      // Retries are 250, 500, 1000, 2000 ms apart: the next one is at most 2 s after the seed is up.
      const ok = c.runUntil(
        () => c.state('seed', 'early') === 'alive' && c.state('early', 'seed') === 'alive',
        2_500,
      );
      expect(ok, `seed ${seed}: joined ${c.now - up} ms after the seed started`).to.equal(true);
    }
  });

  it('a node that is alone backs off: attempts double from a quarter of the probe interval up to the reconnect interval', () => {
    // Periodic exchanges off: they would retry a refused exchange once more (at 15–45 s).
    const config = resolveEngineConfig({ reconnectIntervalMs: 4_000, antiEntropy: { enabled: false } });
    const c = new MemoryCluster(3, config);
    const early = c.add('early', addrOf(1));
    early.node.join([addrOf(0)], c.now);
    c.run(30_000);
    // Attempts at 0, 250, 750, 1750, 3750, then every 4000 ms (7750 … 27750): 11 within 30 s (not 8,
    // as with the reconnect interval alone, nor hundreds, as with no backoff). Each is refused.
    expect(early.node.stats.antiEntropyRounds).to.equal(11);
    expect(early.node.stats.antiEntropyAborted).to.equal(11);
  });

  for (const n of [30, 50]) {
    it(`${n} nodes joining one seed at the same moment all know each other within 3 s`, () => {
      const failed: string[] = [];
      for (let seed = 1; seed <= 5; seed++) {
        const c = new MemoryCluster(seed);
        for (const [i, name] of names(n).entries()) c.add(name, addrOf(i));
        for (const [i, name] of names(n).entries()) if (i > 0) c.get(name).join([addrOf(0)], c.now);
        const all = () => names(n).every((o) => c.get(o).counts().alive === n);
        if (!c.runUntil(all, 3_000)) {
          const short = names(n).filter((o) => c.get(o).counts().alive < n);
          failed.push(`seed ${seed}: ${short.length} nodes lack someone`);
        }
        expect(c.falseDeaths()).to.deep.equal([]);
      }
      expect(failed).to.deep.equal([]);
    });
  }

  it('100 nodes joining one seed one after another (20 ms apart) all know each other within 1.5 s of the last join', () => {
    // Real agents come up one by one. With direct mail to only 32 of 99 peers, a joiner's rumor went
    // cold before reaching a member or two (Demers' residue: ~5 sends per node, e^-5 each) and the
    // gap waited for the reconnect timer or anti-entropy: 8.5 s median over 8 seeds.
    const n = 100;
    const failed: string[] = [];
    for (let seed = 1; seed <= 5; seed++) {
      const c = new MemoryCluster(seed);
      for (const [i, name] of names(n).entries()) c.add(name, addrOf(i));
      for (const [i, name] of names(n).entries()) {
        if (i === 0) continue;
        if (i > 1) c.run(20);
        c.get(name).join([addrOf(0)], c.now);
      }
      const all = () => names(n).every((o) => c.get(o).counts().alive === n);
      if (!c.runUntil(all, 1_500)) {
        const short = names(n).filter((o) => c.get(o).counts().alive < n);
        failed.push(`seed ${seed}: ${short.join(', ')} lack someone`);
      }
      expect(c.falseDeaths()).to.deep.equal([]);
    }
    expect(failed).to.deep.equal([]);
  });
});
