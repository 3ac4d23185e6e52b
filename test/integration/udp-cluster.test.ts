// Real agents' cores on real UDP/TCP sockets on 127.0.0.1, in separate processes so that faults are
// real: kill -9 and SIGSTOP/SIGCONT. Protocol timings are shortened (probe every 300 ms) to keep the
// suite quick; the protocol logic is the production one.
import { expect } from 'chai';
import { allSee, deadAnywhere, FAST_ENGINE, sleep } from '../support/cluster-checks.js';
import { eventually, NodeHost } from '../support/process-cluster.js';

const ENGINE = FAST_ENGINE;
const key = (b: number) => Buffer.alloc(32, b).toString('base64');

describe('gossip on real UDP sockets (separate processes, 127.0.0.1)', function () {
  this.timeout(120_000);
  const hosts: NodeHost[] = [];
  let seed: NodeHost;
  let group: NodeHost;
  const groupNames = Array.from({ length: 18 }, (_, i) => `g${i}`);
  const observers = () => [
    [seed, 'seed'] as [NodeHost, string],
    ...groupNames.map((n) => [group, n] as [NodeHost, string]),
  ];

  async function host(nodes: string[], engine = ENGINE, keys?: string[]): Promise<NodeHost> {
    const h = await NodeHost.spawn({
      nodes: nodes.map((name) => ({ name, bind: '127.0.0.1:0' })),
      seeds: seed ? [seed.addrs[0]!] : [],
      engine,
      keys,
    });
    hosts.push(h);
    return h;
  }

  before(async () => {
    seed = await host(['seed']);
    group = await host(groupNames);
  });

  after(async () => {
    for (const h of hosts) await h.stop();
  });

  it('20 agents join and agree on one view', async () => {
    await host(['victim']);
    const ok = await eventually(async () => {
      for (const [h, n] of observers())
        if ((await h.members(n)).filter((m) => m.state === 'alive').length !== 20) return false;
      return true;
    }, 30_000);
    expect(ok).to.equal(true);
    const digests = new Set<string>();
    for (const [h, n] of observers()) digests.add(await h.request<string>('digest', { node: n }));
    expect(digests.size).to.equal(1);
  });

  it('kill -9 of one agent: every other marks it dead', async () => {
    const victim = hosts[2]!;
    victim.signal('SIGKILL');
    expect(await eventually(() => allSee(observers(), 'victim', 'dead'), 45_000)).to.equal(true);
    expect(await deadAnywhere(observers())).to.deep.equal([
      'seed→victim',
      ...groupNames.map((n) => `${n}→victim`),
    ]);
  });

  it('the same name restarted on a new address rejoins at once', async () => {
    const old = (await seed.members('seed')).find((m) => m.name === 'victim')!;
    const again = await host(['victim']);
    expect(again.addrs[0]).to.not.equal(old.addr);
    const ok = await eventually(async () => {
      for (const [h, n] of observers()) {
        const m = (await h.members(n)).find((x) => x.name === 'victim');
        if (m?.state !== 'alive' || m.addr !== again.addrs[0]) return false;
      }
      return true;
    }, 20_000);
    expect(ok).to.equal(true);
  });

  it('SIGSTOP shorter than the suspicion timeout: suspected, refuted, never declared dead', async () => {
    const frozen = await host(['frozen'], { ...ENGINE, suspicionMult: 8 });
    expect(await eventually(() => allSee(observers(), 'frozen', 'alive'), 20_000)).to.equal(true);
    frozen.signal('SIGSTOP');
    await sleep(2_000);
    frozen.signal('SIGCONT');
    await sleep(5_000);
    const stats = await frozen.request<{ suspicionsRefuted: number }>('stats', { node: 'frozen' });
    expect(stats.suspicionsRefuted, 'the frozen node was never suspected').to.be.greaterThan(0);
    expect(await allSee(observers(), 'frozen', 'alive')).to.equal(true);
    expect((await deadAnywhere(observers())).filter((d) => d.endsWith('→frozen'))).to.deep.equal([]);
  });

  it('graceful leave: peers record left, not dead', async () => {
    const leaver = await host(['leaver']);
    expect(await eventually(() => allSee(observers(), 'leaver', 'alive'), 20_000)).to.equal(true);
    await leaver.request('leave', { node: 'leaver' });
    await sleep(1_000);
    await leaver.stop();
    expect(await eventually(() => allSee(observers(), 'leaver', 'left'), 10_000)).to.equal(true);
    await sleep(3_000);
    expect(await allSee(observers(), 'leaver', 'left')).to.equal(true);
  });

  it('anti-entropy repairs a key/value that no rumor carried', async () => {
    expect(await group.request('inject', { node: 'g3', key: 'silent', value: 'v1', clock: 100 })).to.equal(
      true,
    );
    const ok = await eventually(async () => {
      for (const [h, n] of observers())
        if ((await h.request('kv-get', { node: n, key: 'silent' })) !== 'v1') return false;
      return true;
    }, 30_000);
    expect(ok).to.equal(true);
  });

  it('user events reach every agent exactly once', async () => {
    await group.request('fire', { node: 'g0', name: 'deploy', payload: 'v2' });
    await sleep(2_000);
    for (const [h, n] of observers()) expect(await h.request('events', { node: n }), n).to.equal(1);
  });

  it('no core errors in any agent', async () => {
    for (const h of hosts.filter((x) => x.proc.exitCode === null && x.proc.signalCode === null)) {
      expect(await h.request('core-errors')).to.deep.equal([]);
    }
  });
});

describe('encrypted cluster on real UDP sockets', function () {
  this.timeout(60_000);
  const hosts: NodeHost[] = [];
  after(async () => {
    for (const h of hosts) await h.stop();
  });

  it('joins with a shared key, rotates keys live, and rejects a wrong key', async () => {
    const spawn = async (names: string[], keys: string[], seeds: string[]) => {
      const h = await NodeHost.spawn({
        nodes: names.map((name) => ({ name, bind: '127.0.0.1:0' })),
        seeds,
        engine: ENGINE,
        keys,
      });
      hosts.push(h);
      return h;
    };
    const a = await spawn(['a'], [key(1)], []);
    const b = await spawn(['b', 'c'], [key(1)], [a.addrs[0]!]);
    const all: Array<[NodeHost, string]> = [
      [a, 'a'],
      [b, 'b'],
      [b, 'c'],
    ];
    const aliveCount = async (h: NodeHost, n: string) =>
      (await h.members(n)).filter((m) => m.state === 'alive').length;
    expect(
      await eventually(
        async () => (await aliveCount(a, 'a')) === 3 && (await aliveCount(b, 'c')) === 3,
        15_000,
      ),
    ).to.equal(true);

    // Rotation: add the new key everywhere, promote it everywhere, retire the old one.
    for (const [h, n] of all) await h.request('set-keys', { node: n, keys: [key(1), key(2)] });
    for (const [h, n] of all) await h.request('set-keys', { node: n, keys: [key(2), key(1)] });
    for (const [h, n] of all) await h.request('set-keys', { node: n, keys: [key(2)] });
    await sleep(3_000);
    for (const [h, n] of all) expect(await aliveCount(h, n), n).to.equal(3);

    const intruder = await spawn(['intruder'], [key(1)], [a.addrs[0]!]);
    await sleep(3_000);
    expect((await a.members('a')).map((m) => m.name)).to.not.include('intruder');
    expect((await intruder.members('intruder')).map((m) => m.name)).to.deep.equal(['intruder']);
    const stats = await a.request<{ dropped: Record<string, number> }>('stats', { node: 'a' });
    expect(stats.dropped['bad-key']).to.be.greaterThan(0);
  });
});
