// SeedJoiner: hands the core each seed address once (the core retries while alone and re-syncs
// after joining, issue 12), looks the seeds up again until joined, and joins again only for new
// addresses. Real timers with short delays; the assertions are on what was called, not on how long
// it took.
import { expect } from 'chai';
import { SeedJoiner } from '../../src/agent/discovery/seed-joiner.js';
import { eventually } from '../support/process-cluster.js';

describe('SeedJoiner', () => {
  it('hands the core each seed once, joins again only for new addresses, and stops looking once joined', async () => {
    const calls: string[][] = [];
    let lookups = 0;
    let joined = false;
    const joiner = new SeedJoiner({
      // A DNS name that lists a second peer from the third lookup on.
      lookup: async () => {
        lookups++;
        if (lookups === 5) joined = true;
        return lookups < 3
          ? ['10.0.0.1:7946', '10.0.0.2:7946']
          : ['10.0.0.1:7946', '10.0.0.2:7946', '10.0.0.3:7946'];
      },
      ownAddr: '10.0.0.2:7946',
      join: (seeds) => calls.push(seeds),
      joined: () => joined,
      minDelayMs: 5,
      maxDelayMs: 20,
    });
    try {
      joiner.start();
      expect(await eventually(async () => lookups >= 5, 5_000)).to.equal(true);
      await new Promise((r) => setTimeout(r, 200));
      // Two joins (the first list, then the list with a new address), never our own address; no
      // lookup after the one that found the node joined.
      expect(calls).to.deep.equal([['10.0.0.1:7946'], ['10.0.0.1:7946', '10.0.0.3:7946']]);
      expect(lookups).to.equal(5);
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
