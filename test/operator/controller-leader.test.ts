// Leader election against an in-memory Lease store that enforces what the apiserver enforces for
// elections: resourceVersion preconditions on replace (409 Conflict), AlreadyExists on create, 404 on
// read. Each elector gets its own client whose link can be cut (requests fail) or hung (never answer).
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiException, type V1Lease } from '@kubernetes/client-node';
import { expect } from 'chai';
import {
  LeaderElector,
  type LeaseApi,
  validateElectionTimings,
} from '../../src/operator/controller/leader-election.js';

interface Write {
  at: number;
  holder: string;
}

class LeaseStore {
  private lease: V1Lease | undefined;
  private rv = 0;
  readonly writes: Write[] = [];
  conflicts = 0;

  get holder(): string {
    return this.lease?.spec?.holderIdentity ?? '';
  }

  get current(): V1Lease | undefined {
    return this.lease === undefined ? undefined : structuredClone(this.lease);
  }

  client(): FakeLeaseClient {
    return new FakeLeaseClient(this);
  }

  read(): V1Lease {
    if (this.lease === undefined) throw new ApiException(404, 'not found', {}, {});
    return structuredClone(this.lease);
  }

  create(body: V1Lease): V1Lease {
    if (this.lease !== undefined) throw new ApiException(409, 'already exists', {}, {});
    return this.store(body);
  }

  replace(body: V1Lease): V1Lease {
    if (this.lease === undefined) throw new ApiException(404, 'not found', {}, {});
    if (body.metadata?.resourceVersion !== this.lease.metadata?.resourceVersion) {
      this.conflicts++;
      throw new ApiException(409, 'the object has been modified', {}, {});
    }
    return this.store(body);
  }

  private store(body: V1Lease): V1Lease {
    // Through JSON, like the wire: times arrive as strings, and must be in the apiserver's MicroTime
    // format (six fractional digits) or a real apiserver answers 400.
    const stored = JSON.parse(JSON.stringify(body)) as V1Lease;
    for (const t of [stored.spec?.renewTime, stored.spec?.acquireTime]) {
      if (t !== undefined) expect(String(t)).to.match(/\.\d{6}Z$/);
    }
    stored.metadata = { ...stored.metadata, resourceVersion: String(++this.rv) };
    this.lease = stored;
    this.writes.push({ at: performance.now(), holder: stored.spec?.holderIdentity ?? '' });
    return structuredClone(stored);
  }
}

type LinkMode = 'ok' | 'fail' | 'hang';

class FakeLeaseClient implements LeaseApi {
  mode: LinkMode = 'ok';
  constructor(private readonly store: LeaseStore) {}

  private async call<T>(fn: () => T): Promise<T> {
    await sleep(1); // a network round trip: never synchronous
    if (this.mode === 'fail') throw new Error('connect ECONNREFUSED');
    if (this.mode === 'hang') return new Promise<T>(() => {});
    return fn();
  }

  readNamespacedLease(_req: { name: string; namespace: string }): Promise<V1Lease> {
    return this.call(() => this.store.read());
  }

  createNamespacedLease(req: { namespace: string; body: V1Lease }): Promise<V1Lease> {
    return this.call(() => this.store.create(req.body));
  }

  replaceNamespacedLease(req: { name: string; namespace: string; body: V1Lease }): Promise<V1Lease> {
    return this.call(() => this.store.replace(req.body));
  }
}

const LEASE = 1_000;
const RENEW = 600;
const RETRY = 100;
/** Timer and event-loop lateness allowed on a busy 2-core machine. */
const SLACK = 150;

interface Candidate {
  elector: LeaderElector;
  client: FakeLeaseClient;
  log: Array<{ what: 'started' | 'stopped'; at: number }>;
  run: Promise<void>;
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('controller leader election (fake coordination API)', function () {
  this.timeout(20_000);
  let store: LeaseStore;
  let candidates: Candidate[];

  function candidate(identity: string, onStopped?: () => Promise<void>): Candidate {
    const client = store.client();
    const log: Candidate['log'] = [];
    const elector = new LeaderElector({
      coordinationApi: client,
      namespace: 'grapevine-system',
      name: 'grapevine-operator',
      identity,
      leaseDurationMs: LEASE,
      renewDeadlineMs: RENEW,
      retryPeriodMs: RETRY,
      onStartedLeading: () => log.push({ what: 'started', at: performance.now() }),
      onStoppedLeading: async () => {
        log.push({ what: 'stopped', at: performance.now() });
        await onStopped?.();
      },
    });
    const c: Candidate = { elector, client, log, run: elector.run() };
    candidates.push(c);
    return c;
  }

  beforeEach(() => {
    store = new LeaseStore();
    candidates = [];
  });

  afterEach(async () => {
    for (const c of candidates) c.client.mode = 'ok';
    await Promise.all(candidates.map((c) => c.elector.stop()));
  });

  it('exactly one of two electors leads, and the lease names it', async () => {
    const a = candidate('a');
    const b = candidate('b');
    await waitFor('a leader', () => a.elector.isLeader || b.elector.isLeader);
    await sleep(3 * RETRY);
    const leaders = [a, b].filter((c) => c.elector.isLeader);
    expect(leaders).to.have.length(1);
    expect(store.holder).to.equal(leaders[0]?.elector.identity);
    const follower = a.elector.isLeader ? b : a;
    expect(follower.log).to.deep.equal([]);
    expect(follower.elector.observedLeader).to.equal(store.holder);
    // The leader keeps renewing (a write every retry period), the follower never writes.
    const holderWrites = store.writes.filter((w) => w.holder === store.holder).length;
    expect(holderWrites).to.be.at.least(3);
    expect(store.writes.every((w) => w.holder === store.holder)).to.equal(true);
  });

  it('when the leader crashes (stops renewing), the follower takes over after the lease expires', async () => {
    const a = candidate('a');
    await waitFor('a leads', () => a.elector.isLeader);
    const b = candidate('b');
    await sleep(3 * RETRY); // b has observed a's renewals
    a.client.mode = 'hang'; // a's requests never return: a crash as far as the lease is concerned
    const crashAt = performance.now();
    const lastRenewByA = store.writes.filter((w) => w.holder === 'a').at(-1)?.at ?? 0;
    await waitFor('b leads', () => b.elector.isLeader, 4 * LEASE);
    const takeoverAt = b.log[0]?.at ?? 0;
    // Never before the lease could have expired, and within lease + observation lag + retries.
    expect(takeoverAt - lastRenewByA).to.be.at.least(LEASE);
    expect(takeoverAt - crashAt).to.be.below(LEASE + 3 * RETRY * 1.2 + SLACK);
    expect(store.holder).to.equal('b');
    expect(store.current?.spec?.leaseTransitions).to.equal(1);
    // a stepped down on its own (renew deadline) before b started: never two leaders at once.
    const aStopped = a.log.find((l) => l.what === 'stopped')?.at ?? Number.POSITIVE_INFINITY;
    expect(aStopped).to.be.below(takeoverAt);
    expect(a.elector.isLeader).to.equal(false);
  });

  it('a graceful stop releases the lease and the follower takes over at its next retry', async () => {
    const a = candidate('a');
    await waitFor('a leads', () => a.elector.isLeader);
    const b = candidate('b');
    await sleep(3 * RETRY);
    const stoppedAt = performance.now();
    await a.elector.stop();
    expect(a.log.map((l) => l.what)).to.deep.equal(['started', 'stopped']);
    expect(store.holder).to.equal(''); // released
    await waitFor('b leads', () => b.elector.isLeader, LEASE);
    const takeover = (b.log[0]?.at ?? 0) - stoppedAt;
    expect(takeover).to.be.below(2 * RETRY * 1.2 + SLACK);
  });

  it('stop() runs onStoppedLeading to completion before releasing the lease', async () => {
    let holderDuringCallback = '';
    const a = candidate('a', async () => {
      await sleep(50);
      holderDuringCallback = store.holder;
    });
    await waitFor('a leads', () => a.elector.isLeader);
    await a.elector.stop();
    expect(holderDuringCallback).to.equal('a');
    expect(store.holder).to.equal('');
  });

  it('a leader that cannot renew within renewDeadline steps down, then leads again once it can', async () => {
    const a = candidate('a');
    await waitFor('a leads', () => a.elector.isLeader);
    const lastRenew = store.writes.at(-1)?.at ?? 0;
    a.client.mode = 'fail';
    await waitFor('a steps down', () => !a.elector.isLeader, 2 * LEASE);
    const stoppedAt = a.log.find((l) => l.what === 'stopped')?.at ?? 0;
    expect(stoppedAt - lastRenew).to.be.at.least(RENEW);
    expect(stoppedAt - lastRenew).to.be.below(RENEW + 2 * RETRY + SLACK);
    a.client.mode = 'ok';
    // Nobody else took the lease: its own identity is still the holder, so it re-acquires at once.
    await waitFor('a leads again', () => a.elector.isLeader, 2 * LEASE);
    expect(a.log.map((l) => l.what)).to.deep.equal(['started', 'stopped', 'started']);
  });

  it('a leader whose renew requests hang steps down at the renew deadline', async () => {
    const a = candidate('a');
    await waitFor('a leads', () => a.elector.isLeader);
    const lastRenew = store.writes.at(-1)?.at ?? 0;
    a.client.mode = 'hang';
    await waitFor('a steps down', () => !a.elector.isLeader, 2 * LEASE);
    const stoppedAt = a.log.find((l) => l.what === 'stopped')?.at ?? 0;
    expect(stoppedAt - lastRenew).to.be.within(RENEW, RENEW + RETRY + SLACK);
  });

  it('many candidates racing for a fresh lease: exactly one wins, conflicts are losses', async () => {
    const all = ['a', 'b', 'c', 'd', 'e'].map((id) => candidate(id));
    await waitFor('someone leads', () => all.some((c) => c.elector.isLeader));
    await sleep(5 * RETRY);
    expect(all.filter((c) => c.elector.isLeader)).to.have.length(1);
    expect(all.flatMap((c) => c.log)).to.have.length(1);
  });

  it('rejects unsafe timings with one clear line', () => {
    expect(() => validateElectionTimings(10_000, 10_000, 2_000, 0.2)).to.throw(
      /leaseDuration .* must be greater than renewDeadline/,
    );
    expect(() => validateElectionTimings(15_000, 2_000, 2_000, 0.2)).to.throw(
      /renewDeadline .* must be greater than retryPeriod/,
    );
    expect(() => validateElectionTimings(15_000, 10_000, 2_000, 0.2)).to.not.throw();
  });
});
