// AntiEntropyDriver on its own, through AntiEntropyHost: two drivers over real memberships and
// key/value state, messages passed by hand. Joins contact a few seeds, exchanges repair what differs
// and report it, the join is announced after the first exchange, peers are chosen by policy.
import { expect } from 'chai';
import { type EngineConfig, resolveEngineConfig } from '../../src/agent/config/engine-schema.js';
import { AntiEntropyDriver } from '../../src/agent/core/anti-entropy-driver.js';
import { ReplicatedData } from '../../src/agent/core/replicated-data.js';
import { replicatedState } from '../../src/agent/core/replicated-state.js';
import { KvStore } from '../../src/agent/state/kv-store.js';
import type { Addr, Message } from '../../src/agent/wire/messages.js';
import { addrOf, lcg, type MembershipFixture, member, membershipFixture, recorder, T0 } from './fakes.js';

interface Side {
  name: string;
  driver: AntiEntropyDriver;
  m: MembershipFixture;
  data: ReplicatedData;
  outbox: Array<{ to: Addr; messages: Message[] }>;
  rec: ReturnType<typeof recorder>;
}

function side(name: string, peers: string[], config: EngineConfig, seed = 1): Side {
  const m = membershipFixture(name, { config, peers });
  const rec = recorder();
  const data = new ReplicatedData(
    {
      name,
      tree: m.tree,
      config: () => config,
      generation: () => T0,
      event: () => {},
      rumor: () => {},
      announce: () => {},
      badRecord: () => {},
    },
    new KvStore({ tombstoneTtlMs: config.tombstoneTtlMs }),
  );
  const outbox: Side['outbox'] = [];
  const driver: AntiEntropyDriver = new AntiEntropyDriver(
    {
      rng: lcg(seed),
      stats: m.stats,
      membership: m.membership,
      config: () => config,
      event: (e) => rec.events.push(e),
      send: (to, messages) => {
        outbox.push({ to, messages });
        return 100;
      },
      schedule: (at, timer) => rec.timers.push({ at, timer }),
    },
    replicatedState(
      m.tree,
      m.membership,
      data,
      () => driver.applyingFrom,
      () => true,
    ),
    T0,
  );
  return { name, driver, m, data, outbox, rec };
}

/** Delivers queued messages between the sides until both are quiet; returns packets delivered. */
function pump(sides: Side[], now: number): number {
  const byAddr = new Map(sides.map((s) => [addrOf(s.name), s]));
  let delivered = 0;
  for (let busy = true; busy; ) {
    busy = false;
    for (const from of sides) {
      for (const { to, messages } of from.outbox.splice(0)) {
        const target = byAddr.get(to);
        if (!target) continue;
        busy = true;
        delivered++;
        const sender = { name: from.name, generation: T0, addr: addrOf(from.name), seq: delivered };
        target.driver.onPacket(messages, sender, 100, now);
      }
    }
  }
  return delivered;
}

const config = resolveEngineConfig({ antiEntropy: { intervalMs: 1_000 } });

describe('AntiEntropyDriver (unit, fake host)', () => {
  it('join contacts at most 3 seeds (never itself) with push-pull starts, and remembers all of them', () => {
    const a = side('n0', [], config);
    const seeds = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'].map(addrOf);
    a.driver.join(seeds, T0);
    const starts = a.outbox.map((o) => o.messages[0]);
    expect(starts).to.have.length(3);
    for (const s of starts) expect(s).to.deep.include({ t: 'ae-start', mode: 'push-pull' });
    expect(new Set(a.outbox.map((o) => o.to)).size).to.equal(3);
    expect(a.outbox.map((o) => o.to)).to.not.include(addrOf('n0'));
    expect(a.m.stats.antiEntropyRounds).to.equal(3);
    // Alone, the node goes back to its remembered seeds, up to 3 at random per attempt (issue 12:
    // attempts are frequent while alone, and a DNS answer may list hundreds); in time, all of them.
    const contacted = new Set<string>();
    for (let i = 1; i <= 8; i++) {
      a.outbox.length = 0;
      a.driver.reconnect(T0 + i * config.reconnectIntervalMs);
      expect(a.outbox).to.have.length(3);
      for (const o of a.outbox) contacted.add(o.to);
    }
    expect([...contacted].sort()).to.deep.equal(seeds.slice(1).sort());
  });

  it('alone, seeds are tried a quarter probe interval after join, then at doubling delays; joined, at the reconnect interval', () => {
    const a = side('n0', [], config);
    a.driver.join([addrOf('n1')], T0);
    const reconnects = () => a.rec.timers.filter((t) => t.timer.kind === 'reconnect').map((t) => t.at - T0);
    // The constructor's timer, then join's first attempt 250 ms later.
    expect(reconnects()).to.deep.equal([config.reconnectIntervalMs, config.probeIntervalMs / 4]);
    let at = T0;
    for (const delay of [250, 500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000]) {
      at += delay;
      a.outbox.length = 0;
      a.driver.reconnect(at);
      expect(
        a.outbox.map((o) => o.to),
        `attempt at +${at - T0}`,
      ).to.deep.equal([addrOf('n1')]);
    }
    expect(reconnects().slice(2)).to.deep.equal([750, 1_750, 3_750, 7_750, 15_750, 25_750, 35_750, 45_750]);
    // Joined: the next timer finds the node no longer alone; partition healing is back at its interval.
    a.m.membership.apply(member('n1'), 'n1', 'mail', null, T0);
    a.outbox.length = 0;
    a.driver.reconnect(at + 10_000);
    expect(a.outbox, 'the seed attempt that finds us joined sends nothing').to.deep.equal([]);
    expect(reconnects().at(-1)).to.equal(at + 20_000 - T0);
    a.driver.reconnect(at + 20_000);
    expect(a.outbox, 'partition healing leaves alone a seed that is a live member').to.deep.equal([]);
    expect(reconnects().at(-1)).to.equal(at + 30_000 - T0);
  });

  it('partition healing: a seed each round while the view changes; once it settles, only seeds outside the live view and dead members', () => {
    // Every node of a cluster that joined through one seed would otherwise exchange with that seed
    // each reconnect interval for ever: three times the periodic exchanges, all on the seed.
    const a = side('n0', ['n1'], config);
    a.driver.join([addrOf('n1'), addrOf('n2')], T0);
    const nextReconnect = () => a.rec.timers.filter((t) => t.timer.kind === 'reconnect').at(-1)!.at;
    const healingRound = () => {
      a.outbox.length = 0;
      a.driver.reconnect(nextReconnect());
      return a.outbox.map((o) => o.to);
    };
    const seeds = [addrOf('n1'), addrOf('n2')];
    expect(healingRound(), 'the seed attempt after the join: already joined').to.deep.equal([]);
    const settled = Array.from({ length: 20 }, healingRound).flat();
    expect(settled, 'settled: only the seed no member is at').to.deep.equal(Array(20).fill(addrOf('n2')));

    a.m.membership.apply(member('n2'), 'n2', 'mail', null, nextReconnect());
    const changed = healingRound();
    expect(changed, 'the view changed: one exchange with a seed, live or not').to.have.length(1);
    expect(seeds).to.include(changed[0]);
    expect(healingRound(), 'settled again, both seeds live members').to.deep.equal([]);

    // While members keep arriving (a join storm) every round talks to a (live) seed, which saw
    // every join first: a node that missed one catches up within a round.
    for (let i = 3; i < 8; i++) {
      a.m.membership.apply(member(`n${i}`), `n${i}`, 'mail', null, nextReconnect());
      const round = healingRound();
      expect(round, `round after n${i} joined`).to.have.length(1);
      expect(seeds).to.include(round[0]);
    }
    expect(healingRound()).to.deep.equal([]);

    a.m.membership.apply(member('n1', { state: 'dead' }), 'n2', 'mail', null, nextReconnect());
    expect(a.m.membership.get('n1')?.record.state).to.equal('dead');
    expect(healingRound(), 'the death changed the view').to.have.length(1);
    expect(healingRound(), 'settled: the dead member (also a seed)').to.deep.equal([addrOf('n1')]);
  });

  it('after the join exchange, one follow-up push-pull with the same peer comes a few gossip intervals later', () => {
    const defaults = resolveEngineConfig({});
    const a = side('n0', [], defaults, 1);
    const b = side('n1', ['n2'], defaults, 2);
    const before = a.rec.timers.filter((t) => t.timer.kind === 'anti-entropy').map((t) => t.at);
    a.driver.join([addrOf('n1')], T0);
    pump([a, b], T0 + 1);
    const timers = a.rec.timers.filter((t) => t.timer.kind === 'anti-entropy').map((t) => t.at);
    expect(timers).to.have.length(before.length + 1);
    const followUp = timers.at(-1)!;
    // 2 gossip intervals, jittered ×0.5–1.5: 200–600 ms after the exchange completed.
    expect(followUp - (T0 + 1)).to.be.within(defaults.gossipIntervalMs, 3 * defaults.gossipIntervalMs);
    a.outbox.length = 0;
    a.driver.onTimer(followUp);
    expect(
      a.outbox.map((o) => [o.to, o.messages[0]?.t, (o.messages[0] as { mode?: string }).mode]),
    ).to.deep.equal([[addrOf('n1'), 'ae-start', 'push-pull']]);
    // Only once: a second exchange with the seed does not schedule another follow-up.
    pump([a, b], followUp);
    expect(a.rec.timers.filter((t) => t.timer.kind === 'anti-entropy').at(-1)!.at).to.be.greaterThan(
      followUp + 0.7 * defaults.antiEntropy.intervalMs,
    );
  });

  it('an exchange repairs both sides, reports it once, and a join is announced after it', () => {
    const a = side('n0', [], config, 1);
    const b = side('n1', ['n2'], config, 2);
    b.data.put('k', new TextEncoder().encode('v'), T0);
    a.driver.join([addrOf('n1')], T0);
    expect(pump([a, b], T0 + 1)).to.be.greaterThan(1);
    expect(a.data.get('k')?.value).to.deep.equal(new TextEncoder().encode('v'));
    expect(a.m.membership.get('n2')?.record.state, 'members travel too').to.equal('alive');
    expect(b.m.membership.get('n0')?.record.state, 'push-pull: the seed learns the joiner').to.equal('alive');
    expect(a.m.tree.root()).to.deep.equal(b.m.tree.root());
    const done = a.rec.events.filter((e) => e.type === 'anti-entropy');
    expect(done).to.have.length(1);
    expect(done[0]).to.deep.include({ peer: addrOf('n1'), equal: false });
    expect(a.m.stats.antiEntropyRepaired).to.be.at.least(2);
    expect(a.m.rec.announced, 'the joiner announces itself once').to.have.length(1);
    // A second exchange finds nothing to repair and does not announce again.
    a.driver.start(T0 + 2, addrOf('n1'));
    pump([a, b], T0 + 2);
    expect(a.rec.events.filter((e) => e.type === 'anti-entropy').at(-1)).to.deep.include({
      equal: true,
      repaired: 0,
    });
    expect(a.m.rec.announced).to.have.length(1);
  });

  it('ring peer selection picks the next live member by name, wrapping around', () => {
    const ring = resolveEngineConfig({ antiEntropy: { peerSelection: 'ring' } });
    const mid = side('n5', ['n1', 'n3', 'n7', 'n9'], ring);
    mid.driver.start(T0);
    expect(mid.outbox[0]!.to).to.equal(addrOf('n7'));
    const last = side('n9', ['n1', 'n3', 'n5', 'n7'], ring);
    last.driver.start(T0);
    expect(last.outbox[0]!.to).to.equal(addrOf('n1'));
  });

  it('the periodic timer starts exchanges only when enabled, and re-arms itself either way', () => {
    const off = resolveEngineConfig({ antiEntropy: { enabled: false, intervalMs: 1_000 } });
    const a = side('n0', ['n1'], off);
    const at = a.rec.timers.find((t) => t.timer.kind === 'anti-entropy')!.at;
    a.driver.onTimer(at);
    expect(a.outbox).to.deep.equal([]);
    expect(a.rec.timers.filter((t) => t.timer.kind === 'anti-entropy')).to.have.length(2);
    const b = side('n0', ['n1'], config);
    const bAt = b.rec.timers.find((t) => t.timer.kind === 'anti-entropy')!.at;
    b.driver.onTimer(bAt - 1);
    expect(b.outbox, 'not before its time').to.deep.equal([]);
    b.driver.onTimer(bAt);
    expect(b.outbox.map((o) => o.to)).to.deep.equal([addrOf('n1')]);
  });
});
