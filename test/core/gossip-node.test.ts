// Behaviour of the sans-IO core on a deterministic in-memory network (virtual time, seeded).
import { expect } from 'chai';
import { resolveEngineConfig } from '../../src/agent/config/engine-schema.js';
import { Keyring } from '../../src/agent/wire/keyring.js';
import { MemoryCluster } from '../support/memory-cluster.js';

const names = (n: number) => Array.from({ length: n }, (_, i) => `node-${i}`);
const addrOf = (i: number) => `10.0.0.${i + 1}:7946`;

function joinedCluster(n: number, seed = 1, config = resolveEngineConfig({})): MemoryCluster {
  const c = new MemoryCluster(seed, config);
  for (const [i, name] of names(n).entries()) c.add(name, addrOf(i));
  for (const [i, name] of names(n).entries()) if (i > 0) c.get(name).join([addrOf(0)], c.now);
  const ok = c.runUntil(() => names(n).every((o) => c.get(o).counts().alive === n), 30_000);
  expect(ok, 'cluster did not converge after join').to.equal(true);
  return c;
}

describe('GossipNode (sans-IO core, in-memory network)', function () {
  this.timeout(60_000);

  it('20 nodes join through one seed and agree on one view', () => {
    const c = joinedCluster(20);
    const digests = new Set(names(20).map((n) => c.get(n).viewDigest()));
    expect(digests.size).to.equal(1);
    c.run(20_000);
    expect(c.falseDeaths()).to.deep.equal([]);
  });

  it('a killed node is suspected, then declared dead by everyone, with no false deaths', () => {
    const c = joinedCluster(12);
    c.kill('node-5');
    const others = names(12).filter((n) => n !== 'node-5');
    const ok = c.runUntil(() => c.allSee({ 'node-5': 'dead' }, others), 120_000);
    expect(ok).to.equal(true);
    expect(c.falseDeaths()).to.deep.equal([]);
    const raised = others.reduce((s, n) => s + c.get(n).stats.suspicionsRaised, 0);
    const declared = others.reduce((s, n) => s + c.get(n).stats.deathsDeclared, 0);
    expect(raised).to.be.greaterThan(0);
    expect(declared).to.be.greaterThan(0);
  });

  it('a node cut off for less than the suspicion timeout refutes and is never declared dead', () => {
    const c = joinedCluster(10);
    const victim = c.get('node-3');
    const others = names(10)
      .filter((n) => n !== 'node-3')
      .map((_, i) => addrOf(i >= 3 ? i + 1 : i));
    c.net.partition([victim.addr], others);
    c.run(4_000);
    c.net.heal();
    c.run(30_000);
    expect(c.falseDeaths()).to.deep.equal([]);
    expect(victim.stats.suspicionsRefuted).to.be.greaterThan(0);
    expect(victim.self().incarnation).to.be.greaterThan(0);
    expect(c.allSee({ 'node-3': 'alive' })).to.equal(true);
  });

  it('a graceful leave is recorded as left, not dead', () => {
    const c = joinedCluster(8);
    c.get('node-2').leave(c.now);
    c.run(3_000);
    c.kill('node-2');
    const others = names(8).filter((n) => n !== 'node-2');
    expect(c.runUntil(() => c.allSee({ 'node-2': 'left' }, others), 20_000)).to.equal(true);
    c.run(30_000);
    expect(c.allSee({ 'node-2': 'left' }, others)).to.equal(true);
  });

  it('a node restarted under the same name with a new address is accepted at once', () => {
    const c = joinedCluster(8);
    c.kill('node-4');
    const others = names(8).filter((n) => n !== 'node-4');
    expect(c.runUntil(() => c.allSee({ 'node-4': 'dead' }, others), 120_000)).to.equal(true);
    const restarted = c.add('node-4', '10.0.9.9:7946');
    restarted.node.join([addrOf(0)], c.now);
    const ok = c.runUntil(
      () =>
        others.every(
          (o) =>
            c.get(o).member('node-4')?.state === 'alive' &&
            c.get(o).member('node-4')?.addr === '10.0.9.9:7946',
        ),
      20_000,
    );
    expect(ok).to.equal(true);
    expect(restarted.node.counts().alive).to.equal(8);
  });

  it('delivers a user event exactly once to every node, with origin and hop count', () => {
    const c = joinedCluster(15);
    c.get('node-0').fireEvent('deploy', new TextEncoder().encode('v2'), c.now);
    c.run(10_000);
    for (const n of names(15)) {
      const got = c.nodes.get(n)!.events.filter((e) => e.type === 'user-event');
      expect(got, n).to.have.length(1);
      const e = got[0]!;
      if (e.type !== 'user-event') throw new Error('unreachable');
      expect(e.origin).to.equal('node-0');
      expect(new TextDecoder().decode(e.payload)).to.equal('v2');
      if (n !== 'node-0') expect(e.rumor.hops).to.be.at.least(1);
    }
  });

  it('replicates key/value writes and deletions (last writer wins)', () => {
    const c = joinedCluster(10);
    const enc = (s: string) => new TextEncoder().encode(s);
    c.get('node-1').kvPut('color', enc('red'), c.now);
    c.run(5_000);
    c.get('node-7').kvPut('color', enc('blue'), c.now);
    c.run(5_000);
    for (const n of names(10)) expect(new TextDecoder().decode(c.get(n).kvGet('color')!), n).to.equal('blue');
    c.get('node-3').kvDelete('color', c.now);
    c.run(5_000);
    for (const n of names(10)) expect(c.get(n).kvGet('color'), n).to.equal(undefined);
  });

  it('direct mail reaches every peer at once and retries unacknowledged sends', () => {
    const c = joinedCluster(6);
    const sender = c.get('node-0');
    c.net.partition([sender.addr], [addrOf(5)]);
    sender.kvPut('k', new Uint8Array([1]), c.now);
    c.run(50);
    // Within 50 ms no gossip round has spread it further than the direct mail did.
    for (const n of ['node-1', 'node-2', 'node-3', 'node-4'])
      expect(c.get(n).kvGet('k'), n).to.not.equal(undefined);
    c.run(600);
    c.net.heal();
    c.run(3_000);
    expect(sender.stats.directMailRetries).to.be.greaterThan(0);
    expect(sender.stats.directMailAcked).to.be.at.least(5);
    expect(sender.pendingMail()).to.equal(0);
  });

  it('anti-entropy repairs divergence that no rumor carried', () => {
    const config = resolveEngineConfig({ antiEntropy: { intervalMs: 1_000 } });
    const c = joinedCluster(8, 3, config);
    const entry = {
      key: 'silent',
      value: new Uint8Array([7]),
      clock: 1_000,
      writer: 'node-6',
      at: Math.floor(c.now),
    };
    expect(c.injectDivergentKv('node-6', entry)).to.equal(true);
    expect(c.runUntil(() => names(8).every((n) => c.get(n).kvGet('silent')?.[0] === 7), 30_000)).to.equal(
      true,
    );
    const repaired = names(8).reduce((s, n) => s + c.get(n).stats.antiEntropyRepaired, 0);
    expect(repaired).to.be.at.least(7);
  });

  it('a partitioned cluster heals into one view by itself', () => {
    const config = resolveEngineConfig({ reconnectIntervalMs: 2_000 });
    const c = joinedCluster(10, 5, config);
    const a = names(10)
      .slice(0, 5)
      .map((_, i) => addrOf(i));
    const b = names(10)
      .slice(5)
      .map((_, i) => addrOf(i + 5));
    c.net.partition(a, b);
    expect(c.runUntil(() => c.allSee({ 'node-9': 'dead' }, ['node-0', 'node-1']), 180_000)).to.equal(true);
    c.net.heal();
    const ok = c.runUntil(() => names(10).every((o) => c.get(o).counts().alive === 10), 120_000);
    expect(ok).to.equal(true);
    expect(new Set(names(10).map((n) => c.get(n).viewDigest())).size).to.equal(1);
  });

  it('drops foreign, malformed and wrongly keyed packets, counts them, and changes nothing', () => {
    const key = (b: number) => Buffer.alloc(32, b).toString('base64');
    const c = new MemoryCluster(9);
    const ring = Keyring.fromBase64([key(1)]);
    const a = c.add('a', 'a:1', { keyring: ring });
    const b = c.add('b', 'b:1', { keyring: ring });
    const stranger = c.add('x', 'x:1', { keyring: Keyring.fromBase64([key(2)]) });
    const foreign = c.add('f', 'f:1', { config: resolveEngineConfig({ cluster: 'other' }), keyring: ring });
    b.node.join(['a:1'], c.now);
    stranger.node.join(['a:1'], c.now);
    foreign.node.join(['a:1'], c.now);
    c.run(5_000);
    a.transport.deliver('junk:1', new Uint8Array([1, 2, 3, 4, 5]), 'datagram');
    expect(
      a.node
        .members()
        .map((m) => m.name)
        .sort(),
    ).to.deep.equal(['a', 'b']);
    expect(a.node.stats.dropped['bad-key']).to.be.greaterThan(0);
    expect(a.node.stats.dropped['foreign-cluster']).to.be.greaterThan(0);
    expect(a.node.stats.dropped.malformed).to.equal(1);
  });

  it('rotates keys without downtime: add as secondary, promote, retire the old key', () => {
    const key = (b: number) => Buffer.alloc(32, b).toString('base64');
    const c = new MemoryCluster(11);
    const a = c.add('a', 'a:1', { keyring: Keyring.fromBase64([key(1)]) });
    const b = c.add('b', 'b:1', { keyring: Keyring.fromBase64([key(1), key(2)]) });
    b.node.join(['a:1'], c.now);
    c.run(5_000);
    expect(a.node.member('b')?.state).to.equal('alive');
    // Promote the new key on one node first: the other still decrypts it as a secondary.
    a.node.setKeyring(Keyring.fromBase64([key(2), key(1)]));
    c.run(5_000);
    b.node.setKeyring(Keyring.fromBase64([key(2), key(1)]));
    c.run(5_000);
    a.node.setKeyring(Keyring.fromBase64([key(2)]));
    b.node.setKeyring(Keyring.fromBase64([key(2)]));
    c.run(30_000);
    expect(a.node.member('b')?.state).to.equal('alive');
    expect(b.node.member('a')?.state).to.equal('alive');
    expect((a.node.stats.dropped['bad-key'] ?? 0) + (b.node.stats.dropped['bad-key'] ?? 0)).to.equal(0);
    // A node still on the retired key is shut out.
    const stale = c.add('s', 's:1', { keyring: Keyring.fromBase64([key(1)]) });
    stale.node.join(['a:1'], c.now);
    c.run(5_000);
    expect(a.node.member('s')).to.equal(undefined);
    expect(a.node.stats.dropped['bad-key']).to.be.greaterThan(0);
  });

  it('is deterministic for a given seed', () => {
    const trace = () => {
      const c = joinedCluster(6, 42);
      c.kill('node-1');
      c.run(30_000);
      return names(6)
        .filter((n) => n !== 'node-1')
        .map((n) =>
          c.nodes
            .get(n)!
            .events.map((e) => `${e.at}:${e.type}`)
            .join(','),
        )
        .join('|');
    };
    expect(trace()).to.equal(trace());
  });
});

describe('GossipNode: wake-ups of a steady node', () => {
  it('wakes about once per probe interval: acknowledged probes and maintenance do not wake it again', () => {
    // Every wake-up of an agent costs a context switch and a turn of the event loop. Before timers
    // were cancelled lazily, a steady node also woke for each acknowledged probe's timeout and for
    // its own maintenance timer: ~3 times per probe interval.
    const c = joinedCluster(10, 9, resolveEngineConfig({ probeIntervalMs: 1_000 }));
    c.run(30_000);
    const before = new Map(
      [...c.nodes].map(([n, x]) => [n, { ticks: x.ticks, probes: x.node.stats.probesSent }]),
    );
    c.run(60_000);
    for (const [name, x] of c.nodes) {
      const b = before.get(name)!;
      expect(x.node.stats.probesSent - b.probes, `${name} probes`).to.be.within(58, 62);
      expect(x.ticks - b.ticks, `${name} wake-ups in 60 s`).to.be.within(58, 75);
    }
    expect(c.allSee(Object.fromEntries(names(10).map((n) => [n, 'alive'])))).to.equal(true);
  });
});

describe('GossipNode: reaping, ring anti-entropy, replay, limits', function () {
  this.timeout(60_000);

  it('forgets dead members after deadReapMs, and a late rumor about them adds no ghost', () => {
    const c = joinedCluster(6, 21, resolveEngineConfig({ deadReapMs: 20_000 }));
    c.kill('node-2');
    const others = names(6).filter((n) => n !== 'node-2');
    expect(c.runUntil(() => c.allSee({ 'node-2': 'dead' }, others), 60_000)).to.equal(true);
    expect(c.runUntil(() => others.every((o) => c.get(o).member('node-2') === undefined), 40_000)).to.equal(
      true,
    );
    expect(
      c.nodes.get('node-0')!.events.some((e) => e.type === 'member-reaped' && e.name === 'node-2'),
    ).to.equal(true);
  });

  it('ring peer selection repairs every node in one sweep', () => {
    const config = resolveEngineConfig({
      antiEntropy: { intervalMs: 1_000, peerSelection: 'ring', mode: 'push' },
      directMail: { enabled: false },
    });
    const c = joinedCluster(10, 4, config);
    const entry = {
      key: 'ring',
      value: new Uint8Array([1]),
      clock: 500,
      writer: 'node-4',
      at: Math.floor(c.now),
    };
    c.injectDivergentKv('node-4', entry);
    // Push to the successor only: the value walks the ring node-4 → node-5 → … → node-3.
    expect(c.runUntil(() => names(10).every((n) => c.get(n).kvGet('ring') !== undefined), 30_000)).to.equal(
      true,
    );
    const order = names(10)
      .map((n) => ({ n, at: c.nodes.get(n)!.events.find((e) => e.type === 'kv' && e.key === 'ring')!.at }))
      .sort((x, y) => x.at - y.at)
      .map((x) => x.n);
    expect(order).to.deep.equal([
      'node-4',
      'node-5',
      'node-6',
      'node-7',
      'node-8',
      'node-9',
      'node-0',
      'node-1',
      'node-2',
      'node-3',
    ]);
  });

  it('drops a replayed encrypted packet and counts it', () => {
    const ring = Keyring.fromBase64([Buffer.alloc(32, 3).toString('base64')]);
    const c = new MemoryCluster(31);
    const a = c.add('a', 'a:1', { keyring: ring });
    const b = c.add('b', 'b:1', { keyring: ring });
    const captured: Uint8Array[] = [];
    b.transport.onReceive((_from, bytes) => captured.push(bytes));
    b.node.join(['a:1'], c.now);
    a.node.join(['b:1'], c.now);
    c.run(3_000);
    expect(captured.length).to.be.greaterThan(0);
    const before = b.node.stats.dropped.replay ?? 0;
    b.node.receive('a:1', captured[captured.length - 1]!, 'datagram', c.now);
    expect(b.node.stats.dropped.replay).to.equal(before + 1);
  });

  it('refuses oversized tags and payloads with a message naming the limit', () => {
    const c = new MemoryCluster(1, resolveEngineConfig({ maxTagBytes: 16, maxPayloadBytes: 4 }));
    const { node } = c.add('a', 'a:1');
    expect(() => node.setTags({ role: 'a-very-long-tag-value' }, c.now)).to.throw(RangeError, /maxTagBytes/);
    expect(() => node.fireEvent('e', new Uint8Array(5), c.now)).to.throw(RangeError, /maxPayloadBytes/);
    expect(() => node.kvPut('k', new Uint8Array(5), c.now)).to.throw(RangeError, /maxPayloadBytes/);
    node.setTags({ role: 'db' }, c.now);
    expect(node.self().tags).to.deep.equal({ role: 'db' });
    expect(node.self().incarnation).to.equal(1);
  });
});

describe('GossipNode: live reconfiguration', () => {
  it('applies new tunables at once and refuses a cluster change', () => {
    const c = joinedCluster(4, 8);
    const node = c.get('node-0');
    const probesBefore = node.stats.probesSent;
    c.run(5_000);
    const perSecondSlow = (node.stats.probesSent - probesBefore) / 5;
    node.reconfigure(resolveEngineConfig({ probeIntervalMs: 200, probeTimeoutMs: 100 }), c.now);
    const mid = node.stats.probesSent;
    c.run(5_000);
    const perSecondFast = (node.stats.probesSent - mid) / 5;
    expect(perSecondSlow).to.be.within(0.8, 1.2);
    expect(perSecondFast).to.be.within(4, 5.5);
    expect(() => node.reconfigure(resolveEngineConfig({ cluster: 'other' }), c.now)).to.throw(/restart/);
  });

  it('join contacts at most three seeds but remembers all of them', () => {
    const c = new MemoryCluster(12);
    const seeds = Array.from({ length: 10 }, (_, i) => `10.1.0.${i + 1}:7946`);
    for (const [i, s] of seeds.entries()) c.add(`s${i}`, s);
    for (let i = 1; i < seeds.length; i++) c.get(`s${i}`).join([seeds[0]!], c.now);
    c.run(5_000);
    const joiner = c.add('j', '10.2.0.1:7946');
    joiner.node.join(seeds, c.now);
    expect(joiner.node.stats.antiEntropyRounds).to.equal(3);
    c.run(3_000);
    expect(joiner.node.counts().alive).to.equal(11);
  });
});

describe('GossipNode: joining', () => {
  it('nodes joining one seed at the same moment all learn of each other quickly (no anti-entropy)', () => {
    const config = resolveEngineConfig({ antiEntropy: { enabled: false } });
    for (const seed of [1, 2, 3, 4, 5]) {
      const c = new MemoryCluster(seed, config);
      for (const [i, name] of names(16).entries()) c.add(name, addrOf(i));
      for (const [i, name] of names(16).entries()) if (i > 0) c.get(name).join([addrOf(0)], c.now);
      const ok = c.runUntil(() => names(16).every((o) => c.get(o).counts().alive === 16), 3_000);
      const missing = names(16)
        .map((o) => `${o}:${c.get(o).counts().alive}`)
        .filter((s) => !s.endsWith(':16'));
      expect(ok, `seed ${seed}: ${missing.join(' ')}`).to.equal(true);
    }
  });
  it('nodes joining one after another are known to every node within seconds (no anti-entropy)', () => {
    // Before joiners announced themselves, only the seed rumored each arrival, and in 5 of these 20
    // runs some node still lacked a member 5 s later (the residue of a counter-limited rumor).
    const config = resolveEngineConfig({ antiEntropy: { enabled: false }, reconnectIntervalMs: 3_600_000 });
    const failed: number[] = [];
    for (let seed = 1; seed <= 20; seed++) {
      const c = new MemoryCluster(seed, config);
      c.add('node-0', addrOf(0));
      for (let i = 1; i < 16; i++) {
        c.run(300);
        c.add(`node-${i}`, addrOf(i)).node.join([addrOf(0)], c.now);
      }
      if (!c.runUntil(() => names(16).every((o) => c.get(o).counts().alive === 16), 5_000)) failed.push(seed);
    }
    expect(failed).to.deep.equal([]);
  });
});

describe('GossipNode: TCP fallback probe', function () {
  this.timeout(60_000);

  it('when no datagram gets through, members probed over the stream transport are never suspected', () => {
    const c = joinedCluster(8, 5);
    c.net.setLoss(1);
    c.run(30_000);
    const suspected = [...c.nodes.values()].flatMap((n) =>
      n.events.filter((e) => e.type === 'member' && e.member.state !== 'alive'),
    );
    expect(suspected).to.deep.equal([]);
    const fallbacks = names(8).reduce((s, n) => s + c.get(n).stats.fallbackProbesSent, 0);
    // Every probe period of every node needed the fallback (about 30 × 8, with margin for phases).
    expect(fallbacks).to.be.greaterThan(150);
    expect(c.falseDeaths()).to.deep.equal([]);
  });
});
