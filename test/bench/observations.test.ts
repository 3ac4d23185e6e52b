// What the Serf bench's driver saw: the first suspicion of a member after a moment (the kill), not a
// suspicion from while the cluster formed.
import { expect } from 'chai';
import { Observations } from '../../scripts/bench-serf/observations.js';

describe('bench serf: observations', () => {
  it('firstSuspectSince ignores suspicions before the moment and takes the earliest after it', () => {
    const obs = new Observations();
    obs.member('a', 'victim', 'alive', 100);
    obs.member('a', 'victim', 'suspect', 200); // while forming: refuted
    obs.member('a', 'victim', 'alive', 300);
    obs.member('b', 'victim', 'alive', 100);
    obs.member('a', 'other', 'suspect', 1_100);
    expect(obs.firstSuspectSince('victim', 1_000)).to.equal(undefined);
    obs.member('b', 'victim', 'suspect', 1_650);
    obs.member('a', 'victim', 'suspect', 1_620);
    obs.member('a', 'victim', 'dead', 2_800);
    expect(obs.firstSuspectSince('victim', 1_000)).to.equal(1_620);
    expect(obs.firstSuspectSince('victim', 0)).to.equal(200);
    expect(obs.suspectSightings).to.equal(4);
  });
});
