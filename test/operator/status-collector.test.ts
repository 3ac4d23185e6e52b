// The status collector on a manual clock with a scripted poll: one loop per cluster, rounds every
// interval and never two at once, a global cap on rounds running, the token passed to the poll, a
// reconcile asked for only when the collected status changes, and hysteresis on Converged.
import { expect } from 'chai';
import type { AgentPollResult, PollOptions, PollTarget } from '../../src/operator/status/agent-poller.js';
import {
  agreement,
  DEFAULT_CONVERGENCE,
  NOT_CONVERGED,
  nextConvergence,
} from '../../src/operator/status/convergence.js';
import { StatusCollector } from '../../src/operator/status/status-collector.js';
import { ManualScheduler } from './controller-manual-scheduler.js';

const settle = async () => {
  for (let i = 0; i < 30; i++) await Promise.resolve();
};

function result(o: Partial<AgentPollResult> = {}): AgentPollResult {
  return {
    agents: [],
    total: 10,
    polled: 10,
    reached: 10,
    joined: 10,
    sampled: false,
    distinctDigests: 1,
    majorityCount: 10,
    majorityDigest: 'd',
    converged: true,
    durationMs: 1,
    ...o,
  };
}

describe('convergence with hysteresis', () => {
  it('enters at the enter share, leaves only after exitRounds rounds below the exit share', () => {
    let s = nextConvergence(NOT_CONVERGED, 0.9);
    expect(s.converged).to.equal(false);
    s = nextConvergence(s, 0.96);
    expect(s.converged).to.equal(true);
    // One refutation spreading: a round at 50 % agreement does not flip it.
    s = nextConvergence(s, 0.5);
    expect(s).to.deep.equal({ converged: true, lowRounds: 1 });
    s = nextConvergence(s, 0.85);
    expect(s).to.deep.equal({ converged: true, lowRounds: 0 });
    s = nextConvergence(s, 0.5);
    s = nextConvergence(s, 0.5);
    expect(s.converged).to.equal(false);
    expect(DEFAULT_CONVERGENCE.exitRounds).to.equal(2);
  });

  it('agreement is the majority share of reached agents, 0 when none answered', () => {
    expect(agreement({ reached: 64, majorityCount: 48 })).to.equal(0.75);
    expect(agreement({ reached: 0, majorityCount: 0 })).to.equal(0);
  });
});

describe('status collector (manual clock, scripted rounds)', () => {
  let scheduler: ManualScheduler;
  let rounds: Array<{ key: string; token?: string; release: (r: AgentPollResult) => void }>;
  let changed: string[];
  let clusters: Set<string>;

  const make = (o: { maxConcurrentRounds?: number; token?: string | null } = {}) =>
    new StatusCollector({
      intervalMs: 30_000,
      scheduler,
      maxConcurrentRounds: o.maxConcurrentRounds,
      subject: (key) =>
        clusters.has(key)
          ? {
              cluster: { metadata: { namespace: 'ns', name: key } },
              targets: [{ pod: `${key}-a`, url: 'http://127.0.0.1:1' }],
            }
          : null,
      token: async () => o.token ?? null,
      onChange: (key) => changed.push(key),
      poll: (targets: readonly PollTarget[], opts?: PollOptions) =>
        new Promise<AgentPollResult>((release) =>
          rounds.push({ key: targets[0]!.pod.replace(/-a$/, ''), token: opts?.token, release }),
        ),
    });

  beforeEach(() => {
    scheduler = new ManualScheduler();
    rounds = [];
    changed = [];
    clusters = new Set(['c1', 'c2', 'c3']);
  });

  it('runs a round at once, then one per interval, never two at once; passes the token', async () => {
    const c = make({ token: 's3cret' });
    c.watch('c1');
    c.watch('c1');
    scheduler.advance(0);
    await settle();
    expect(rounds.map((r) => r.key)).to.deep.equal(['c1']);
    expect(rounds[0]!.token).to.equal('s3cret');
    // A slow round: no second one starts meanwhile.
    scheduler.advance(120_000);
    await settle();
    expect(rounds).to.have.length(1);
    rounds[0]!.release(result());
    await settle();
    expect(c.latest('c1')?.converged).to.equal(true);
    expect(changed).to.deep.equal(['c1']);
    scheduler.advance(29_999);
    await settle();
    expect(rounds).to.have.length(1);
    scheduler.advance(1);
    await settle();
    expect(rounds).to.have.length(2);
    // The same answer: nothing changed, no reconcile asked for.
    rounds[1]!.release(result());
    await settle();
    expect(changed).to.deep.equal(['c1']);
    c.stop();
  });

  it('caps rounds running across clusters', async () => {
    const c = make({ maxConcurrentRounds: 2 });
    for (const k of ['c1', 'c2', 'c3']) c.watch(k);
    scheduler.advance(0);
    await settle();
    expect(rounds.map((r) => r.key)).to.deep.equal(['c1', 'c2']);
    rounds[0]!.release(result());
    await settle();
    expect(rounds.map((r) => r.key)).to.deep.equal(['c1', 'c2', 'c3']);
    c.stop();
  });

  it('one disagreeing round does not flip Converged; two do', async () => {
    const c = make();
    c.watch('c1');
    const next = async (r: AgentPollResult) => {
      scheduler.advance(rounds.length === 0 ? 0 : 30_000);
      await settle();
      rounds.at(-1)!.release(r);
      await settle();
    };
    await next(result());
    await next(result({ distinctDigests: 2, majorityCount: 5 }));
    expect(c.latest('c1')?.converged).to.equal(true);
    await next(result({ distinctDigests: 2, majorityCount: 5 }));
    expect(c.latest('c1')?.converged).to.equal(false);
    c.stop();
  });

  it('a deleted cluster ends its loop', async () => {
    const c = make();
    c.watch('c1');
    scheduler.advance(0);
    await settle();
    rounds[0]!.release(result());
    await settle();
    clusters.delete('c1');
    scheduler.advance(30_000);
    await settle();
    expect(rounds).to.have.length(1);
    expect(c.watched).to.equal(0);
    expect(c.latest('c1')).to.equal(undefined);
  });
});
