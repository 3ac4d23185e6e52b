// A refused fallback probe (issue 12): when the target's host answers that nothing listens on its
// stream port, the probe fails after a short grace instead of at the end of the protocol period,
// so a crashed or killed agent is suspected ~0.4 s sooner. Relays still get the grace to answer.
// The prober's suspicion then expires after refusedSuspicionTimeoutMs at the latest: no refutation
// can come from a process that is gone. A frozen process does not refuse, and keeps its full time.
import { expect } from 'chai';
import { type EngineConfig, resolveEngineConfig } from '../../src/agent/config/engine-schema.js';
import { REFUSED_GRACE_FRACTION } from '../../src/agent/core/prober.js';
import type { Message } from '../../src/agent/wire/messages.js';
import { MemoryCluster } from '../support/memory-cluster.js';
import { member, proberFixture } from './fakes.js';

/** One prober probing a single peer, with every send recorded and time driven by the test. */
function lonePeerProber(config: EngineConfig) {
  const peer = member('peer', { addr: '10.0.0.2:7946' });
  return { ...proberFixture(config, 'self', [peer]), peerAddr: peer.addr };
}

describe('Prober: a refused fallback probe ends the probe early', () => {
  const config = resolveEngineConfig({ probeIntervalMs: 1000, probeTimeoutMs: 500 });
  const grace = config.probeTimeoutMs * REFUSED_GRACE_FRACTION;

  it('fails the probe a grace after the refusal, not at the end of the period, and spares local health', () => {
    const { prober, sent, failed, health, peerAddr, runTo } = lonePeerProber(config);
    // First probe: wait for the fallback (stream) ping, sent when the probe timeout passes.
    let now = 0;
    while (!sent.some((s) => s.stream)) now = runTo(prober.nextDeadline());
    const probeStart = now - config.probeTimeoutMs;
    prober.fallbackRefused(peerAddr, now + 1);
    runTo(now + 1 + grace);
    expect(failed.map((f) => f.target)).to.deep.equal(['peer']);
    expect(now + 1 + grace).to.be.lessThan(probeStart + config.probeIntervalMs);
    expect(health.score, 'a refusal is not our slowness').to.equal(0);
  });

  it('an ack from a relay within the grace still saves the target', () => {
    const { prober, sent, failed, peerAddr, runTo } = lonePeerProber(config);
    let now = 0;
    while (!sent.some((s) => s.stream)) now = runTo(prober.nextDeadline());
    const ping = sent.find((s) => s.stream)!.m[0] as Extract<Message, { t: 'ping' }>;
    prober.fallbackRefused(peerAddr, now + 1);
    prober.onAck(ping.seq, now + grace / 2);
    runTo(now + config.probeIntervalMs);
    expect(failed).to.deep.equal([]);
  });

  it('a refusal from another address, or before the fallback was sent, changes nothing', () => {
    const { prober, sent, failed, peerAddr, runTo } = lonePeerProber(config);
    let now = runTo(prober.nextDeadline());
    expect(sent.filter((s) => !s.stream)).to.have.length(1);
    prober.fallbackRefused(peerAddr, now); // direct ping still pending: no fallback yet
    prober.fallbackRefused('10.0.0.9:7946', now);
    const probeStart = now;
    now = runTo(probeStart + config.probeIntervalMs - 1);
    expect(failed, 'still open until the period ends').to.deep.equal([]);
    runTo(probeStart + config.probeIntervalMs);
    expect(failed.map((f) => f.target)).to.deep.equal(['peer']);
  });
});

/** Eight nodes on the in-memory network; node-7 is the one killed or frozen, the others survive. */
const names = Array.from({ length: 8 }, (_, i) => `node-${i}`);
const survivors = names.slice(0, 7);

/** The eight nodes joined through node-0 and settled for 3 s. */
function formed(seed: number, reportRefusals: boolean): MemoryCluster {
  const c = new MemoryCluster(seed, resolveEngineConfig({}), { reportRefusals });
  for (const [i, n] of names.entries()) c.add(n, `10.0.0.${i + 1}:7946`);
  for (const n of names.slice(1)) c.get(n).join(['10.0.0.1:7946'], c.now);
  expect(c.runUntil(() => names.every((o) => c.get(o).counts().alive === 8), 10_000)).to.equal(true);
  c.run(3_000);
  return c;
}

/** Fallback probes the survivors saw refused so far. */
function refusedBy(c: MemoryCluster): number {
  return survivors.reduce((sum, o) => sum + c.get(o).stats.fallbackProbesRefused, 0);
}

describe('GossipNode: a killed member whose host refuses connections is suspected sooner', function () {
  this.timeout(60_000);

  /** Virtual ms from the kill to the first suspicion of the victim, and whether any probe was refused. */
  function suspicionDelay(seed: number, reportRefusals: boolean): { ms: number; refused: number } {
    const c = formed(seed, reportRefusals);
    c.kill('node-7');
    const killedAt = c.now;
    while (!survivors.some((o) => c.state(o, 'node-7') === 'suspect')) {
      expect(c.now - killedAt, 'suspected within 20 s').to.be.lessThan(20_000);
      c.run(5);
    }
    return { ms: c.now - killedAt, refused: refusedBy(c) };
  }

  it('the probe that finds it fails ~0.4 s earlier than when refusals are not reported (same seeds)', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const slow = suspicionDelay(seed, false);
      const fast = suspicionDelay(seed, true);
      expect(fast.refused, `seed ${seed}: refusals counted`).to.be.greaterThan(0);
      expect(slow.refused).to.equal(0);
      // The period ends 1000 ms after the probe started; a refusal ends it at ~500 ms + RTT + 100 ms.
      expect(slow.ms - fast.ms, `seed ${seed}: ${slow.ms} vs ${fast.ms} ms`).to.be.within(330, 420);
    }
  });
});

describe('GossipNode: a refused probe turns the suspicion into a death after refusedSuspicionTimeoutMs', function () {
  this.timeout(60_000);

  /** Virtual ms from the first suspicion of a killed node-7 to its first death, and to every survivor's. */
  function deathAfterSuspicion(seed: number, reportRefusals: boolean): { first: number; all: number } {
    const c = formed(seed, reportRefusals);
    c.kill('node-7');
    const killedAt = c.now;
    const seen = (s: string) => survivors.some((o) => c.state(o, 'node-7') === s);
    while (!seen('suspect') && !seen('dead')) {
      expect(c.now - killedAt, 'suspected within 20 s').to.be.lessThan(20_000);
      c.run(5);
    }
    const suspectedAt = c.now;
    while (!seen('dead')) {
      expect(c.now - killedAt, 'dead within 60 s').to.be.lessThan(60_000);
      c.run(5);
    }
    const first = c.now - suspectedAt;
    expect(c.runUntil(() => c.allSee({ 'node-7': 'dead' }, survivors), 30_000)).to.equal(true);
    return { first, all: c.now - suspectedAt };
  }

  it("a killed member: dead one refusedSuspicionTimeoutMs after the refused probe, not after Lifeguard's timeout", () => {
    const cfg = resolveEngineConfig({});
    // 8 members: min timeout = 2 × max(1, log10 8) × 1 s = 2 s, starting from 12 s unconfirmed.
    const minMs = cfg.suspicionMult * cfg.probeIntervalMs;
    for (let seed = 1; seed <= 5; seed++) {
      const fast = deathAfterSuspicion(seed, true);
      const slow = deathAfterSuspicion(seed, false);
      expect(fast.first, `seed ${seed}: refused`).to.be.within(
        cfg.refusedSuspicionTimeoutMs,
        cfg.refusedSuspicionTimeoutMs + 10,
      );
      expect(slow.first, `seed ${seed}: silence`).to.be.at.least(minMs);
      // The death is direct-mailed: everyone holds it within ~one more round trip.
      expect(fast.all - fast.first, `seed ${seed}`).to.be.below(200);
    }
  });

  it('a frozen member (2 s, like SIGSTOP) refuses nothing and is not declared dead', () => {
    // A freeze goes unnoticed when no probe reaches the member in time; count the seeds where it did.
    let noticed = 0;
    for (let seed = 1; seed <= 30 && noticed < 5; seed++) {
      const c = formed(seed, true);
      const refusedBefore = refusedBy(c);
      c.freeze('node-7');
      let suspected = false;
      for (let t = 0; t < 2_000; t += 10) {
        c.run(10);
        suspected ||= survivors.some((o) => c.state(o, 'node-7') === 'suspect');
      }
      c.thaw('node-7');
      c.run(10_000);
      if (suspected) noticed++;
      expect(refusedBy(c) - refusedBefore, `seed ${seed}: a frozen process does not refuse`).to.equal(0);
      expect(c.falseDeaths(), `seed ${seed}`).to.deep.equal([]);
      expect(c.allSee({ 'node-7': 'alive' })).to.equal(true);
    }
    expect(noticed, 'seeds where the freeze raised a suspicion').to.equal(5);
  });
});
