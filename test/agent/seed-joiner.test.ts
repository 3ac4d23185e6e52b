// SeedJoiner: retries a join until the node has joined, then one re-sync with the seeds, then stops.
// Real timers with short delays; the assertions are on what was called, not on how long it took.
import { expect } from 'chai';
import { SeedJoiner } from '../../src/agent/discovery/seed-joiner.js';
import { eventually } from '../support/process-cluster.js';

describe('SeedJoiner', () => {
  it('retries until joined, re-syncs once after joining, and then stops', async () => {
    const calls: string[][] = [];
    let joined = false;
    const joiner = new SeedJoiner({
      lookup: async () => ['10.0.0.1:7946', '10.0.0.2:7946'],
      ownAddr: '10.0.0.2:7946',
      join: (seeds) => {
        calls.push(seeds);
        // The third attempt is the one that reaches a seed.
        if (calls.length === 3) joined = true;
      },
      joined: () => joined,
      minDelayMs: 5,
      maxDelayMs: 20,
      resyncAfterMs: 30,
    });
    try {
      joiner.start();
      expect(await eventually(async () => calls.length >= 4, 5_000)).to.equal(true);
      await new Promise((r) => setTimeout(r, 200));
      // 3 attempts until joined + 1 re-sync; never our own address.
      expect(calls).to.have.length(4);
      for (const c of calls) expect(c).to.deep.equal(['10.0.0.1:7946']);
    } finally {
      joiner.stop();
    }
  });

  it('reports being alone when the lookup lists only this node, and keeps looking', async () => {
    let alone = 0;
    let lookups = 0;
    const joiner = new SeedJoiner({
      lookup: async () => {
        lookups++;
        return ['10.0.0.2:7946'];
      },
      ownAddr: '10.0.0.2:7946',
      join: () => expect.fail('must not join itself'),
      joined: () => false,
      onAlone: () => alone++,
      minDelayMs: 5,
      maxDelayMs: 10,
    });
    try {
      joiner.start();
      expect(await eventually(async () => lookups >= 3, 5_000)).to.equal(true);
      expect(alone).to.be.at.least(3);
    } finally {
      joiner.stop();
    }
  });
});
