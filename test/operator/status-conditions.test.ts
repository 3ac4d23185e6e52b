// computeStatus is pure: every condition path, transition-time preservation, lastConvergenceTime,
// and the property that feeding a status back as `previous` with the same inputs changes nothing.
// Ready means "running and joined" and Converged is its own condition (issue 9): Ready no longer
// requires every polled digest to be identical.
import { expect } from 'chai';
import fc from 'fast-check';
import type { Condition, GossipClusterStatus } from '../../src/operator/api/gossipcluster-schema.js';
import {
  computeStatus,
  type DaemonSetState,
  type StatusInput,
  statusEqual,
} from '../../src/operator/status/conditions.js';
import type { CollectedStatus } from '../../src/operator/status/status-collector.js';

const T0 = new Date('2025-01-01T00:00:00.000Z');
const T1 = new Date('2025-01-01T00:00:30.000Z');
const T2 = new Date('2025-01-01T00:01:00.000Z');

const ds = (o: Partial<DaemonSetState> = {}): DaemonSetState => ({
  desiredNumberScheduled: 12,
  numberReady: 12,
  updatedNumberScheduled: 12,
  observedGeneration: 3,
  generation: 3,
  ...o,
});

type Round = CollectedStatus['round'];
const round = (o: Partial<Round> = {}): Round => ({
  total: 12,
  polled: 12,
  reached: 12,
  joined: 12,
  sampled: false,
  distinctDigests: 1,
  majorityCount: 12,
  members: { alive: 12, suspect: 0, dead: 0, left: 0 },
  ...o,
});
/** A round; converged (after hysteresis) unless said otherwise. */
const poll = (o: Partial<Round> & { converged?: boolean } = {}): CollectedStatus => {
  const { converged = true, ...r } = o;
  const full = round(r);
  return { round: full, agreement: full.reached ? full.majorityCount / full.reached : 0, converged };
};

const base = (o: Partial<StatusInput> = {}): StatusInput => ({
  generation: 5,
  specProblems: null,
  applied: true,
  daemonSet: ds(),
  collected: poll(),
  now: T0,
  ...o,
});

function cond(s: GossipClusterStatus, type: string): Condition {
  const c = s.conditions?.find((x) => x.type === type);
  if (!c) throw new Error(`no ${type} condition`);
  return c;
}

/** [status, reason] of Ready, Progressing, Degraded. */
const summary = (s: GossipClusterStatus) =>
  ['Ready', 'Progressing', 'Degraded'].map((t) => `${t}=${cond(s, t).status}/${cond(s, t).reason}`);
const reasonOf = (s: GossipClusterStatus, t: string) => `${cond(s, t).status}/${cond(s, t).reason}`;

describe('computeStatus', () => {
  it('a healthy, converged cluster: Ready True, not progressing, not degraded', () => {
    const s = computeStatus(base());
    expect(summary(s)).to.deep.equal([
      'Ready=True/AgentsJoined',
      'Progressing=False/RolloutComplete',
      'Degraded=False/AsExpected',
    ]);
    expect(reasonOf(s, 'Converged')).to.equal('True/Converged');
    expect(cond(s, 'Ready').message).to.equal('12/12 agents ready; all 12 reached of 12 agents have joined');
    expect(cond(s, 'Converged').message).to.equal(
      '100 % of 12 reached (12 agents) share one membership view (1 distinct); the majority view has 12 alive members',
    );
    expect(s).to.deep.include({
      observedGeneration: 5,
      desiredAgents: 12,
      readyAgents: 12,
      agentsReached: 12,
      converged: true,
      lastConvergenceTime: T0.toISOString(),
      members: { alive: 12, suspect: 0, dead: 0, left: 0 },
    });
    for (const c of s.conditions!)
      expect(c).to.include({ observedGeneration: 5, lastTransitionTime: T0.toISOString() });
  });

  it('an invalid spec: Degraded True listing the problems, Ready and Progressing False', () => {
    const s = computeStatus(
      base({ specProblems: ['ports.http equals ports.gossip', 'gossip.probeTimeoutMs ≥ probeIntervalMs'] }),
    );
    expect(summary(s)).to.deep.equal([
      'Ready=False/InvalidSpec',
      'Progressing=False/InvalidSpec',
      'Degraded=True/InvalidSpec',
    ]);
    expect(cond(s, 'Degraded').message).to.equal(
      'spec is invalid: ports.http equals ports.gossip; gossip.probeTimeoutMs ≥ probeIntervalMs',
    );
    // What was observed is still reported.
    expect(s.desiredAgents).to.equal(12);
  });

  it('an empty problem list counts as a valid spec', () => {
    expect(summary(computeStatus(base({ specProblems: [] })))[2]).to.equal('Degraded=False/AsExpected');
  });

  it('clips a very long problem list', () => {
    const s = computeStatus(base({ specProblems: Array.from({ length: 500 }, (_, i) => `problem ${i}`) }));
    expect(cond(s, 'Degraded').message).to.have.length(1024);
    expect(cond(s, 'Degraded').message.endsWith('…')).to.equal(true);
  });

  it('apply failed: Degraded True ApplyFailed with the error, Progressing False, Ready describes the running agents', () => {
    const s = computeStatus(base({ applied: false, applyError: 'daemonsets.apps is forbidden' }));
    expect(summary(s)).to.deep.equal([
      'Ready=True/AgentsJoined',
      'Progressing=False/ApplyFailed',
      'Degraded=True/ApplyFailed',
    ]);
    expect(cond(s, 'Degraded').message).to.equal('daemonsets.apps is forbidden');
    expect(cond(s, 'Progressing').message).to.equal('cannot roll out: daemonsets.apps is forbidden');
  });

  it('no DaemonSet status yet: Progressing True DaemonSetPending, Ready False NoAgents, no agent counts', () => {
    const s = computeStatus(base({ daemonSet: undefined, collected: undefined }));
    expect(summary(s).slice(0, 2)).to.deep.equal([
      'Ready=False/NoAgents',
      'Progressing=True/DaemonSetPending',
    ]);
    expect(s).to.not.have.any.keys('desiredAgents', 'readyAgents', 'members', 'converged', 'agentsReached');
  });

  it('no node scheduled: Ready False NoAgents, rollout complete', () => {
    const s = computeStatus(
      base({ daemonSet: ds({ desiredNumberScheduled: 0, numberReady: 0, updatedNumberScheduled: 0 }) }),
    );
    expect(summary(s).slice(0, 2)).to.deep.equal([
      'Ready=False/NoAgents',
      'Progressing=False/RolloutComplete',
    ]);
    expect(cond(s, 'Ready').message).to.match(/^no node runs an agent \(0 desired/);
  });

  it('a rollout in progress: updated < desired, or the DaemonSet controller behind', () => {
    const s1 = computeStatus(base({ daemonSet: ds({ updatedNumberScheduled: 4 }) }));
    expect(cond(s1, 'Progressing')).to.include({
      status: 'True',
      reason: 'RollingOut',
      message: '4/12 agents run the current template',
    });
    const s2 = computeStatus(base({ daemonSet: ds({ generation: 4, observedGeneration: 3 }) }));
    expect(cond(s2, 'Progressing')).to.include({
      status: 'True',
      reason: 'RollingOut',
      message: 'the DaemonSet controller has not acted on generation 4 yet',
    });
    const s3 = computeStatus(base({ daemonSet: ds({ observedGeneration: undefined }) }));
    expect(cond(s3, 'Progressing').status).to.equal('True');
  });

  it('agents not ready: Ready False AgentsNotReady', () => {
    const s = computeStatus(base({ daemonSet: ds({ numberReady: 9 }) }));
    expect(cond(s, 'Ready')).to.include({
      status: 'False',
      reason: 'AgentsNotReady',
      message: '9/12 agents ready',
    });
  });

  it('not converged: Converged False NotConverged with the share on the majority view; Ready unaffected', () => {
    const s = computeStatus(
      base({ collected: poll({ converged: false, distinctDigests: 3, majorityCount: 8 }) }),
    );
    expect(reasonOf(s, 'Ready')).to.equal('True/AgentsJoined');
    expect(cond(s, 'Converged')).to.include({
      status: 'False',
      reason: 'NotConverged',
      message:
        '66 % of 12 reached (12 agents) share one membership view (3 distinct); the majority view has 12 alive members',
    });
    expect(s.converged).to.equal(false);
    expect(s.lastConvergenceTime).to.equal(undefined);
  });

  it('agents running but not joined: Ready False AgentsNotJoined', () => {
    const s = computeStatus(base({ collected: poll({ joined: 9 }) }));
    expect(cond(s, 'Ready')).to.include({
      status: 'False',
      reason: 'AgentsNotJoined',
      message: '12/12 agents ready; 3 of 12 reached have not joined',
    });
  });

  it('says when some agents did not answer, and when it sampled', () => {
    const s1 = computeStatus(base({ collected: poll({ reached: 10, joined: 10, majorityCount: 10 }) }));
    expect(cond(s1, 'Ready').message).to.equal(
      '12/12 agents ready; all 10 reached of 12 agents have joined; 2 of 12 polled did not answer',
    );
    const s2 = computeStatus(
      base({
        daemonSet: ds({ desiredNumberScheduled: 1000, numberReady: 1000, updatedNumberScheduled: 1000 }),
        collected: poll({
          total: 1000,
          polled: 64,
          reached: 64,
          joined: 64,
          majorityCount: 63,
          sampled: true,
        }),
      }),
    );
    expect(cond(s2, 'Ready').message).to.equal(
      '1000/1000 agents ready; all 64 reached of 64 sampled agents (of 1000) have joined',
    );
    expect(cond(s2, 'Converged').message).to.match(/^98 % of 64 reached \(64 sampled agents \(of 1000\)\)/);
  });

  it('no agent answered: Ready and Converged Unknown AgentsUnreachable', () => {
    const s = computeStatus(
      base({
        collected: poll({
          reached: 0,
          joined: 0,
          majorityCount: 0,
          converged: false,
          distinctDigests: 0,
          members: undefined,
        }),
      }),
    );
    expect(cond(s, 'Ready')).to.include({
      status: 'Unknown',
      reason: 'AgentsUnreachable',
      message: '12/12 agents ready; none of the 12 agents polled answered on their HTTP API',
    });
    expect(reasonOf(s, 'Converged')).to.equal('Unknown/AgentsUnreachable');
    expect(s.members).to.equal(undefined);
    expect(s.agentsReached).to.equal(0);
  });

  it('never polled: Ready and Converged Unknown NotPolled', () => {
    const s = computeStatus(base({ collected: undefined }));
    expect(cond(s, 'Ready')).to.include({ status: 'Unknown', reason: 'NotPolled' });
    expect(cond(s, 'Converged')).to.include({ status: 'Unknown', reason: 'NotPolled' });
  });

  it('without a new round (operator restarted), keeps the agent fields and verdicts of the previous status', () => {
    const first = computeStatus(base());
    const s = computeStatus(base({ collected: undefined, previous: first, now: T1 }));
    expect(s).to.deep.include({ converged: true, agentsReached: 12, lastConvergenceTime: T0.toISOString() });
    expect(s.members).to.deep.equal(first.members);
    expect(statusEqual(s, first)).to.equal(true);
    const diverged = computeStatus(
      base({ collected: poll({ converged: false, distinctDigests: 2 }), now: T1 }),
    );
    expect(
      cond(computeStatus(base({ collected: undefined, previous: diverged, now: T2 })), 'Converged'),
    ).to.include({ status: 'False', reason: 'NotConverged' });
  });

  it('lastTransitionTime moves only when the status changes', () => {
    const s0 = computeStatus(base({ collected: poll({ joined: 3 }), now: T0 }));
    // Still not ready, for another reason and message: the time stays.
    const s1 = computeStatus(base({ daemonSet: ds({ numberReady: 11 }), previous: s0, now: T1 }));
    expect(cond(s1, 'Ready')).to.include({
      status: 'False',
      reason: 'AgentsNotReady',
      lastTransitionTime: T0.toISOString(),
    });
    // Now Ready: the time moves.
    const s2 = computeStatus(base({ previous: s1, now: T2 }));
    expect(cond(s2, 'Ready')).to.include({ status: 'True', lastTransitionTime: T2.toISOString() });
    // Unchanged conditions keep theirs through all of it.
    expect(cond(s2, 'Degraded').lastTransitionTime).to.equal(T0.toISOString());
    expect(cond(s2, 'Progressing').lastTransitionTime).to.equal(T0.toISOString());
  });

  it('lastConvergenceTime: set when convergence starts, kept while it lasts and after it ends', () => {
    const s0 = computeStatus(base({ collected: poll({ converged: false, distinctDigests: 2 }), now: T0 }));
    expect(s0.lastConvergenceTime).to.equal(undefined);
    const s1 = computeStatus(base({ previous: s0, now: T1 }));
    expect(s1.lastConvergenceTime).to.equal(T1.toISOString());
    const s2 = computeStatus(base({ previous: s1, now: T2 }));
    expect(s2.lastConvergenceTime).to.equal(T1.toISOString());
    const s3 = computeStatus(
      base({ collected: poll({ converged: false, distinctDigests: 2 }), previous: s2, now: T2 }),
    );
    expect(s3).to.include({ converged: false, lastConvergenceTime: T1.toISOString() });
    const s4 = computeStatus(base({ previous: s3, now: new Date('2025-01-01T00:02:00.000Z') }));
    expect(s4.lastConvergenceTime).to.equal('2025-01-01T00:02:00.000Z');
  });

  it('conditions carry the generation they were computed for', () => {
    const s = computeStatus(base({ generation: 9 }));
    expect(s.observedGeneration).to.equal(9);
    expect(s.conditions!.map((c) => c.observedGeneration)).to.deep.equal([9, 9, 9, 9]);
  });
});

describe('statusEqual', () => {
  it('equal for the same status in another key and condition order, or with undefined keys', () => {
    const s = computeStatus(base());
    const shuffled: GossipClusterStatus = JSON.parse(
      JSON.stringify({ ...s, conditions: [...s.conditions!].reverse() }),
    );
    const reordered = Object.fromEntries(Object.entries(shuffled).reverse()) as GossipClusterStatus;
    expect(statusEqual(s, reordered)).to.equal(true);
    expect(statusEqual({ ...s, readyAgents: undefined }, { ...s, readyAgents: undefined })).to.equal(true);
    const { readyAgents: _drop, ...without } = s;
    expect(statusEqual({ ...s, readyAgents: undefined }, without)).to.equal(true);
    expect(statusEqual(undefined, {})).to.equal(true);
  });

  it('different when anything differs, a transition time or a member count included', () => {
    const s = computeStatus(base());
    expect(statusEqual(s, computeStatus(base({ now: T1 })))).to.equal(false);
    expect(
      statusEqual(
        s,
        computeStatus(base({ collected: poll({ members: { alive: 11, suspect: 1, dead: 0, left: 0 } }) })),
      ),
    ).to.equal(false);
    expect(statusEqual(s, computeStatus(base({ generation: 6 })))).to.equal(false);
    expect(statusEqual(s, undefined)).to.equal(false);
  });

  it('an unchanged world gives an equal status (no write needed)', () => {
    const s0 = computeStatus(base({ now: T0 }));
    expect(statusEqual(s0, computeStatus(base({ previous: s0, now: T2 })))).to.equal(true);
  });
});

describe('computeStatus (property)', () => {
  const arbDs = fc.record({
    desiredNumberScheduled: fc.nat(50),
    numberReady: fc.nat(50),
    updatedNumberScheduled: fc.option(fc.nat(50), { nil: undefined }),
    observedGeneration: fc.option(fc.nat(10), { nil: undefined }),
    generation: fc.option(fc.nat(10), { nil: undefined }),
  });
  const arbPoll = fc
    .record({
      total: fc.nat(50),
      polled: fc.nat(50),
      reached: fc.nat(50),
      joined: fc.nat(50),
      majority: fc.nat(50),
      distinct: fc.nat(4),
      sampled: fc.boolean(),
      converged: fc.boolean(),
      members: fc.option(
        fc.record({ alive: fc.nat(50), suspect: fc.nat(5), dead: fc.nat(5), left: fc.nat(5) }),
        { nil: undefined },
      ),
    })
    .map((p) =>
      poll({
        total: p.total,
        polled: p.polled,
        reached: p.reached,
        joined: Math.min(p.joined, p.reached),
        majorityCount: Math.min(p.majority, p.reached),
        sampled: p.sampled,
        distinctDigests: p.distinct,
        converged: p.converged,
        members: p.members,
      }),
    );
  const arbInput = fc.record({
    generation: fc.integer({ min: 1, max: 100 }),
    specProblems: fc.option(fc.array(fc.string({ maxLength: 30 }), { maxLength: 3 }), { nil: null }),
    applied: fc.boolean(),
    applyError: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }),
    daemonSet: fc.option(arbDs, { nil: undefined }),
    collected: fc.option(arbPoll, { nil: undefined }),
    now: fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }),
  });

  it('is idempotent: its output fed back as previous, same inputs, gives an equal status', () => {
    fc.assert(
      fc.property(
        arbInput,
        arbInput,
        fc.date({ min: new Date('2030-01-02'), max: new Date('2040-01-01'), noInvalidDate: true }),
        (earlier, input, later) => {
          // Any history before, then the same observation twice, the second time later.
          const history = computeStatus(earlier);
          const once = computeStatus({ ...input, previous: history });
          const twice = computeStatus({ ...input, previous: once, now: later });
          expect(statusEqual(once, twice), JSON.stringify({ once, twice })).to.equal(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('lastTransitionTime changes exactly when the condition status does', () => {
    fc.assert(
      fc.property(arbInput, arbInput, (a, b) => {
        const s1 = computeStatus(a);
        const s2 = computeStatus({ ...b, previous: s1, now: new Date(a.now.getTime() + 1000) });
        for (const c2 of s2.conditions!) {
          const c1 = cond(s1, c2.type);
          expect(c2.lastTransitionTime === c1.lastTransitionTime).to.equal(c2.status === c1.status);
        }
      }),
      { numRuns: 500 },
    );
  });
});
