import { Writable } from 'node:stream';
import { ApiException, type CoreV1Event, type KubernetesObject } from '@kubernetes/client-node';
import { expect } from 'chai';
import { pino } from 'pino';
import { EventRecorder, type EventsApi } from '../../src/operator/controller/event-recorder.js';
import { ManualScheduler } from './controller-manual-scheduler.js';

/** In-memory core/v1 Events with the apiserver's create/replace rules (AlreadyExists, NotFound). */
class FakeEvents implements EventsApi {
  readonly events = new Map<string, CoreV1Event>();
  calls: string[] = [];
  failWith: Error | undefined;

  async createNamespacedEvent(req: { namespace: string; body: CoreV1Event }): Promise<CoreV1Event> {
    await Promise.resolve();
    this.calls.push('create');
    if (this.failWith) throw this.failWith;
    const key = `${req.namespace}/${req.body.metadata?.name}`;
    if (this.events.has(key)) throw new ApiException(409, 'already exists', {}, {});
    const stored = JSON.parse(
      JSON.stringify({
        ...req.body,
        metadata: { ...req.body.metadata, namespace: req.namespace, resourceVersion: '1' },
      }),
    );
    this.events.set(key, stored);
    return stored;
  }

  async replaceNamespacedEvent(req: {
    name: string;
    namespace: string;
    body: CoreV1Event;
  }): Promise<CoreV1Event> {
    await Promise.resolve();
    this.calls.push('replace');
    if (this.failWith) throw this.failWith;
    const key = `${req.namespace}/${req.name}`;
    if (!this.events.has(key)) throw new ApiException(404, 'not found', {}, {});
    const stored = JSON.parse(JSON.stringify(req.body));
    this.events.set(key, stored);
    return stored;
  }

  list(): CoreV1Event[] {
    return [...this.events.values()];
  }
}

/** Lets scheduled callbacks' promise chains (fake API calls) finish. */
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

const cluster: KubernetesObject = {
  apiVersion: 'grapevine.dev/v1alpha1',
  kind: 'GossipCluster',
  metadata: { name: 'demo', namespace: 'team-a', uid: 'uid-1', resourceVersion: '7' },
};

describe('controller event recorder', () => {
  let api: FakeEvents;
  let scheduler: ManualScheduler;
  let logs: string[];
  let recorder: EventRecorder;
  let writes: string[];

  beforeEach(() => {
    api = new FakeEvents();
    scheduler = new ManualScheduler();
    logs = [];
    writes = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        logs.push(chunk.toString());
        cb();
      },
    });
    recorder = new EventRecorder({
      coreApi: api,
      component: 'grapevine-operator',
      instance: 'op-0',
      scheduler,
      logger: pino(sink),
      onWrite: (verb, kind) => writes.push(`${verb} ${kind}`),
    });
  });

  it('creates an Event in the object namespace describing the object', async () => {
    await recorder.record(cluster, 'Normal', 'Created', 'created DaemonSet demo');
    const [event] = api.list();
    expect(event?.metadata?.namespace).to.equal('team-a');
    expect(event?.metadata?.name).to.match(/^demo\.[0-9a-f]+$/);
    expect(event?.involvedObject).to.deep.include({
      kind: 'GossipCluster',
      name: 'demo',
      namespace: 'team-a',
      uid: 'uid-1',
    });
    expect(event).to.deep.include({
      type: 'Normal',
      reason: 'Created',
      message: 'created DaemonSet demo',
      count: 1,
    });
    expect(event?.source?.component).to.equal('grapevine-operator');
    expect(event?.reportingInstance).to.equal('op-0');
    expect(writes).to.deep.equal(['create Event']);
  });

  it('aggregates repeats within the window into one Event with a growing count', async () => {
    for (let i = 0; i < 5; i++) {
      await recorder.record(cluster, 'Warning', 'ReconcileError', 'apply failed: forbidden');
      scheduler.advance(60_000);
    }
    expect(api.list()).to.have.length(1);
    expect(api.list()[0]?.count).to.equal(5);
    expect(api.calls).to.deep.equal(['create', 'replace', 'replace', 'replace', 'replace']);
    const e = api.list()[0];
    expect(Date.parse(String(e?.lastTimestamp))).to.be.at.least(Date.parse(String(e?.firstTimestamp)));
  });

  it('a different message, reason or object makes a separate Event', async () => {
    await recorder.record(cluster, 'Warning', 'ReconcileError', 'a');
    await recorder.record(cluster, 'Warning', 'ReconcileError', 'b');
    await recorder.record(cluster, 'Normal', 'Updated', 'a');
    await recorder.record(
      { ...cluster, metadata: { ...cluster.metadata, name: 'other', uid: 'uid-2' } },
      'Warning',
      'ReconcileError',
      'a',
    );
    expect(api.list()).to.have.length(4);
  });

  it('after the 10 min window a repeat starts a new Event', async () => {
    await recorder.record(cluster, 'Warning', 'ReconcileError', 'x');
    scheduler.advance(10 * 60_000);
    await recorder.record(cluster, 'Warning', 'ReconcileError', 'x');
    expect(api.list()).to.have.length(2);
    expect(api.list().map((e) => e.count)).to.deep.equal([1, 1]);
  });

  it('concurrent repeats aggregate instead of racing two creates', async () => {
    await Promise.all([1, 2, 3].map(() => recorder.record(cluster, 'Warning', 'ReconcileError', 'same')));
    expect(api.list()).to.have.length(1);
    // The repeats are coalesced into one update a minute after the create (see below).
    scheduler.advance(60_000);
    await settle();
    expect(api.list()[0]?.count).to.equal(3);
  });

  it('coalesces a burst of repeats: one create, then one update per minute carrying the count', async () => {
    // A failing reconcile retried every 0.5 s for 15 s (issue 9: 11 Event updates in 15 s before).
    for (let i = 0; i < 30; i++) {
      await recorder.record(cluster, 'Warning', 'ApplyFailed', 'daemonsets.apps is forbidden');
      scheduler.advance(500);
    }
    expect(api.calls).to.deep.equal(['create']);
    scheduler.advance(45_000);
    await settle();
    expect(api.calls).to.deep.equal(['create', 'replace']);
    expect(api.list()[0]?.count).to.equal(30);
    // Nothing more to say: no further writes.
    scheduler.advance(10 * 60_000);
    await settle();
    expect(api.calls).to.deep.equal(['create', 'replace']);
  });

  it('stop() cancels a pending coalesced update', async () => {
    await recorder.record(cluster, 'Warning', 'X', 'y');
    await recorder.record(cluster, 'Warning', 'X', 'y');
    recorder.stop();
    scheduler.advance(120_000);
    await settle();
    expect(api.calls).to.deep.equal(['create']);
  });

  it('an Event deleted meanwhile (TTL) is created anew', async () => {
    await recorder.record(cluster, 'Normal', 'Synced', 'ok');
    scheduler.advance(60_000);
    api.events.clear();
    await recorder.record(cluster, 'Normal', 'Synced', 'ok');
    expect(api.list()).to.have.length(1);
    expect(api.calls).to.deep.equal(['create', 'replace', 'create']);
  });

  it('never throws: API failures are logged', async () => {
    api.failWith = new ApiException(403, 'events is forbidden', {}, {});
    await recorder.record(cluster, 'Warning', 'ReconcileError', 'x');
    expect(logs.join('')).to.contain('could not record event');
    expect(logs.join('')).to.contain('GossipCluster team-a/demo');
    api.failWith = undefined;
    await recorder.record(cluster, 'Warning', 'ReconcileError', 'x');
    expect(api.list()).to.have.length(1);
  });

  it('truncates very long messages', async () => {
    await recorder.record(cluster, 'Warning', 'Invalid', 'x'.repeat(5000));
    expect(api.list()[0]?.message).to.have.length(1024);
  });
});
