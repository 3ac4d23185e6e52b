// Real network faults: agents in child processes inside a Linux network namespace, where nftables
// drops 10 % of UDP datagrams or cuts links between address ranges. Requires root with `ip` and
// `nft` (scripts/test.sh installs them); in CI a missing prerequisite is a failure, not a skip.
import { expect } from 'chai';
import {
  allSee,
  allSeeAlive,
  deadAnywhere,
  FAST_ENGINE,
  type Observer,
  sleep,
  viewDigests,
} from '../support/cluster-checks.js';
import { NetNamespace, netnsAvailable } from '../support/netns.js';
import { eventually, NodeHost } from '../support/process-cluster.js';

const SIDE_A = '127.0.1.0/24';
const SIDE_B = '127.0.2.0/24';
const LONER = '127.0.3.1';
const SEED = '127.0.1.1:7946';

describe('gossip under real network faults (netns + nftables)', function () {
  this.timeout(180_000);
  let ns: NetNamespace;
  let a: NodeHost;
  let b: NodeHost;
  let loner: NodeHost;
  const aNames = Array.from({ length: 10 }, (_, i) => `a${i}`);
  const bNames = Array.from({ length: 10 }, (_, i) => `b${i}`);
  const observers = (): Observer[] => [
    ...aNames.map((n) => [a, n] as Observer),
    ...bNames.map((n) => [b, n] as Observer),
    [loner, 'loner'],
  ];

  before(async function () {
    const missing = await netnsAvailable();
    if (missing) {
      if (process.env.CI) throw new Error(`network namespaces unavailable in CI: ${missing}`);
      console.log(`    (skipped: ${missing})`);
      this.skip();
    }
    ns = await NetNamespace.create('gvfault');
    const spawn = (names: string[], net: string) =>
      NodeHost.spawn(
        {
          nodes: names.map((name, i) => ({ name, bind: `${net}.${i + 1}:7946` })),
          seeds: [SEED],
          engine: FAST_ENGINE,
        },
        ns.name,
      );
    a = await spawn(aNames, '127.0.1');
    b = await spawn(bNames, '127.0.2');
    loner = await spawn(['loner'], '127.0.3');
  });

  after(async () => {
    for (const h of [a, b, loner]) await h?.stop();
    await ns?.delete();
  });

  it('21 agents on 21 addresses join into one view', async () => {
    expect(await eventually(() => allSeeAlive(observers(), 21), 30_000)).to.equal(true);
    expect((await viewDigests(observers())).size).to.equal(1);
  });

  it('10 % UDP packet loss for 20 s: no false deaths', async () => {
    // Indirect probes go out only when a direct ping or its ack was lost: proof the loss is real.
    const indirect = async () => {
      let sum = 0;
      for (const n of aNames)
        sum += (await a.request<{ indirectProbesSent: number }>('stats', { node: n })).indirectProbesSent;
      return sum;
    };
    const before = await indirect();
    await ns.dropRandom(10, { protocol: 'udp' });
    await sleep(20_000);
    const dead = await deadAnywhere(observers());
    const during = (await indirect()) - before;
    await ns.flush();
    expect(during, 'no probe was lost: the drop rule had no effect').to.be.greaterThan(10);
    expect(dead).to.deep.equal([]);
    expect(await allSeeAlive(observers(), 21)).to.equal(true);
  });

  it('a partition is detected on both sides and heals into one view without a restart', async () => {
    // The loner goes with side A: a node reachable from both sides would bridge them.
    await ns.partition([SIDE_A, `${LONER}/32`], [SIDE_B]);
    const split = await eventually(
      async () => (await allSee([[a, 'a0']], 'b0', 'dead')) && (await allSee([[b, 'b0']], 'a0', 'dead')),
      60_000,
    );
    expect(split, 'the two sides never declared each other dead').to.equal(true);
    await ns.flush();
    expect(await eventually(() => allSeeAlive(observers(), 21), 60_000)).to.equal(true);
    expect((await viewDigests(observers())).size).to.equal(1);
  });

  it('anti-entropy repairs a node that missed the rumors of an update', async () => {
    await ns.partition([`${LONER}/32`], [SIDE_A, SIDE_B]);
    await a.request('kv-put', { node: 'a0', key: 'missed', value: 'yes' });
    // Longer than rumors stay hot and than direct mail keeps retrying (0.5 + 1 + 2 s).
    await sleep(6_000);
    expect(await loner.request('kv-get', { node: 'loner', key: 'missed' })).to.equal(null);
    const aStats = await a.request<{ directMailDropped: number }>('stats', { node: 'a0' });
    expect(
      aStats.directMailDropped,
      'direct mail to the cut-off node should have been given up',
    ).to.be.greaterThan(0);
    await ns.flush();
    expect(
      await eventually(
        async () => (await loner.request('kv-get', { node: 'loner', key: 'missed' })) === 'yes',
        30_000,
      ),
    ).to.equal(true);
    const stats = await loner.request<{ antiEntropyRepaired: number }>('stats', { node: 'loner' });
    expect(stats.antiEntropyRepaired).to.be.greaterThan(0);
    expect(await eventually(() => allSeeAlive(observers(), 21), 30_000)).to.equal(true);
  });
});
