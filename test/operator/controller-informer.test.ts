// The resilient informer against a real HTTP server speaking the list/watch protocol (client-node's own
// makeInformer, Watch and CoreV1Api underneath — nothing of client-node is faked).
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { expect } from 'chai';
import { pino } from 'pino';
import {
  ResilientInformer,
  type ResilientInformerOptions,
} from '../../src/operator/controller/resilient-informer.js';
import { FakeApiServer } from './controller-fake-apiserver.js';

async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

interface Recorded {
  verb: 'add' | 'update' | 'delete';
  name: string;
  rv: string;
}

describe('controller resilient informer (real HTTP list/watch server)', function () {
  this.timeout(20_000);
  let server: FakeApiServer;
  let informer: ResilientInformer<V1ConfigMap> | undefined;
  let events: Recorded[];
  let logLines: Array<{ msg: string; restarts?: number; error?: string }>;

  function makeInformer(
    extra: Partial<ResilientInformerOptions<V1ConfigMap>> = {},
  ): ResilientInformer<V1ConfigMap> {
    const kc = server.kubeConfig();
    const core = kc.makeApiClient(CoreV1Api);
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
        cb();
      },
    });
    const created = new ResilientInformer<V1ConfigMap>({
      kubeConfig: kc,
      path: `/api/v1/namespaces/${server.namespace}/configmaps`,
      listFn: () => core.listNamespacedConfigMap({ namespace: server.namespace }),
      name: 'configmaps',
      restartBackoff: { baseMs: 50, maxMs: 400 },
      resyncMs: 0,
      logger: pino({ level: 'info' }, sink),
      ...extra,
    });
    for (const verb of ['add', 'update', 'delete'] as const) {
      created.on(verb, (cm) =>
        events.push({ verb, name: cm.metadata?.name ?? '', rv: cm.metadata?.resourceVersion ?? '' }),
      );
    }
    informer = created;
    return created;
  }

  const names = (verb: Recorded['verb']): string[] =>
    events.filter((e) => e.verb === verb).map((e) => e.name);

  beforeEach(async () => {
    events = [];
    logLines = [];
    server = new FakeApiServer();
    await server.start();
  });

  afterEach(async () => {
    await informer?.stop();
    informer = undefined;
    await server.close();
  });

  it('lists, reports synced, then follows the watch', async () => {
    server.upsert('a');
    server.upsert('b');
    const inf = makeInformer();
    expect(inf.hasSynced()).to.equal(false);
    inf.start();
    await inf.waitForSync();
    expect(inf.hasSynced()).to.equal(true);
    expect(
      inf
        .list()
        .map((cm) => cm.metadata?.name)
        .sort(),
    ).to.deep.equal(['a', 'b']);
    expect(names('add').sort()).to.deep.equal(['a', 'b']);
    await waitFor('watch open', () => server.openWatches === 1);
    // Each watch carries a server-side timeout in [300, 600) s by default.
    const timeout = Number(server.watchRequests[0]?.timeoutSeconds);
    expect(timeout).to.be.within(300, 599);
    server.upsert('c');
    server.upsert('a', { k: 'v' });
    server.remove('b');
    await waitFor('watch events', () => names('delete').includes('b'));
    expect(names('add')).to.include('c');
    expect(names('update')).to.deep.equal(['a']);
    expect(inf.get('a', 'x')?.data).to.deep.equal({ k: 'v' });
    expect(inf.restarts).to.equal(0);
  });

  it('restarts with backoff after the watch connection drops, and logs each restart', async () => {
    server.upsert('a');
    const inf = makeInformer();
    inf.start();
    await inf.waitForSync();
    await waitFor('watch open', () => server.openWatches === 1);

    server.failWatches.push(500, 500); // the next two watch attempts fail too
    server.dropWatches();
    server.upsert('during-outage');
    await waitFor('third restart', () => inf.restarts === 3);
    await waitFor('watch open again', () => server.openWatches === 1);
    // The restarted informer resumed from its resourceVersion: it catches up on what happened meanwhile.
    await waitFor('missed event', () => names('add').includes('during-outage'));
    server.upsert('after');
    await waitFor('new event', () => names('add').includes('after'));

    const restartLogs = logLines.filter((l) => l.msg === 'informer restarting');
    expect(restartLogs.map((l) => l.restarts)).to.deep.equal([1, 2, 3]);
    const errorLogs = logLines.filter((l) => l.msg === 'informer stopped on error; restarting');
    expect(errorLogs).to.have.length(3);
    expect(errorLogs[1]?.error).to.contain('500');
    // Watches 2 and 3 resumed from the last seen resourceVersion instead of re-listing.
    expect(server.listRequests).to.equal(1);
    expect(server.watchRequests.slice(1).every((w) => w.resourceVersion === '101')).to.equal(true);
  });

  it('restart delays double between consecutive failures', async () => {
    const inf = makeInformer({ restartBackoff: { baseMs: 100, maxMs: 1_000 } });
    server.failLists.push(500, 500, 500);
    const started = Date.now();
    inf.start();
    await inf.waitForSync();
    const elapsed = Date.now() - started;
    // 100 + 200 + 400 ms of waiting before the fourth list succeeds.
    expect(elapsed).to.be.at.least(700);
    expect(elapsed).to.be.below(3_000);
    expect(inf.restarts).to.equal(3);
    expect(server.listRequests).to.equal(4);
  });

  it('re-lists on an HTTP 410 Gone watch answer and reports objects deleted meanwhile', async () => {
    server.upsert('keep');
    server.upsert('gone');
    const inf = makeInformer();
    inf.start();
    await inf.waitForSync();
    await waitFor('watch open', () => server.openWatches === 1);

    server.failWatches.push(500, 410); // restart, then the resumed watch is answered 410
    server.dropWatches();
    server.remove('gone');
    server.compact();
    await waitFor('re-list', () => server.listRequests === 2);
    await waitFor('delete seen through re-list', () => names('delete').includes('gone'));
    expect(inf.list().map((cm) => cm.metadata?.name)).to.deep.equal(['keep']);
    await waitFor('watch open again', () => server.openWatches === 1);
    server.upsert('new');
    await waitFor('watching after re-list', () => names('add').includes('new'));
  });

  it('re-lists after an ERROR 410 watch event (too old resourceVersion) ends the stream', async () => {
    server.upsert('a');
    const inf = makeInformer();
    inf.start();
    await inf.waitForSync();
    await waitFor('watch open', () => server.openWatches === 1);

    server.upsert('b'); // the informer now holds resourceVersion 102
    await waitFor('b', () => names('add').includes('b'));
    server.holdEvents = true; // the open watch does not see the next changes
    server.remove('a');
    server.upsert('c');
    server.compact();
    server.holdEvents = false;
    // A normal end of the watch (server timeout): the informer re-watches from 102, which is compacted.
    const watchesBefore = server.watchRequests.length;
    server.endWatches();
    await waitFor('re-list', () => server.listRequests === 2);
    expect(server.watchRequests.length).to.be.greaterThan(watchesBefore);
    await waitFor('state converged', () => inf.list().length === 2 && inf.get('a', 'x') === undefined);
    expect(
      inf
        .list()
        .map((cm) => cm.metadata?.name)
        .sort(),
    ).to.deep.equal(['b', 'c']);
    expect(inf.restarts).to.equal(0); // handled inside the watch loop, no error surfaced
  });

  it('resync re-emits update for every cached object, only after sync', async () => {
    server.upsert('a');
    server.upsert('b');
    server.failLists.push(500); // first list fails: no resync may fire before the cache is synced
    const inf = makeInformer({ resyncMs: 100, restartBackoff: { baseMs: 250, maxMs: 250 } });
    inf.start();
    await sleep(220);
    expect(inf.hasSynced()).to.equal(false);
    expect(names('update')).to.deep.equal([]);
    await inf.waitForSync();
    const base = names('update').length;
    await sleep(450);
    const updates = names('update').slice(base);
    const perObject = (n: string): number => updates.filter((u) => u === n).length;
    expect(perObject('a')).to.be.within(3, 5);
    expect(perObject('b')).to.equal(perObject('a'));
  });

  it('stop() ends the watch and no restart or event follows', async () => {
    server.upsert('a');
    const inf = makeInformer();
    inf.start();
    await inf.waitForSync();
    await waitFor('watch open', () => server.openWatches === 1);
    await inf.stop();
    await waitFor('watch closed on the server', () => server.openWatches === 0);
    const seen = events.length;
    server.upsert('later');
    await sleep(300);
    expect(events.length).to.equal(seen);
    expect(inf.restarts).to.equal(0);
    expect(logLines.filter((l) => l.msg.includes('restart'))).to.deep.equal([]);
  });

  it('stop() while a watch is being opened (server has it, client has no response yet) ends that watch too', async () => {
    // client-node's ListWatch keeps a watch's AbortController only once the response headers arrive;
    // a stop() before that aborted nothing and the watch stayed open, delivering events (CI flake).
    server.upsert('a');
    server.watchHeadersDelayMs = 300;
    const inf = makeInformer();
    inf.start();
    await inf.waitForSync();
    await waitFor('watch taken by the server', () => server.openWatches === 1);
    await inf.stop();
    await sleep(400); // the headers arrive after the stop
    await waitFor('watch closed on the server', () => server.openWatches === 0, 2_000);
    const seen = events.length;
    server.upsert('later');
    await sleep(200);
    expect(events.length).to.equal(seen);
    expect(inf.restarts).to.equal(0);
  });

  it('is not ready (but alive) after failing for longer than stuckAfterMs, ready again after recovery', async () => {
    // Issue 9: a failing list is retried by the informer itself; restarting the process (liveness)
    // would not help, so it is readiness that turns false, never health().
    server.failLists.push(500, 500, 500, 500, 500, 500);
    const inf = makeInformer({ restartBackoff: { baseMs: 60, maxMs: 60 }, stuckAfterMs: 200 });
    inf.start();
    await waitFor('failing past stuckAfterMs', () => /failing for/.test(inf.readiness().reason ?? ''), 2_000);
    expect(inf.readiness().reason).to.match(/configmaps: failing for .*500/);
    expect(inf.health()).to.deep.equal({ healthy: true });
    await inf.waitForSync();
    expect(inf.readiness()).to.deep.equal({ healthy: true });
    expect(inf.health()).to.deep.equal({ healthy: true });
  });

  it('a 404 list (CRD not installed or deleted) is not ready at once, and alive', async () => {
    server.failLists.push(404, 404, 404);
    const inf = makeInformer({ restartBackoff: { baseMs: 60, maxMs: 60 }, stuckAfterMs: 60_000 });
    inf.start();
    await waitFor('404 seen', () => /404/.test(inf.readiness().reason ?? ''), 2_000);
    expect(inf.health()).to.deep.equal({ healthy: true });
    await inf.waitForSync();
    expect(inf.readiness()).to.deep.equal({ healthy: true });
  });

  it('a throwing handler is logged and does not stop delivery to others', async () => {
    server.upsert('a');
    const inf = makeInformer();
    inf.on('add', () => {
      throw new Error('handler bug');
    });
    inf.start();
    await inf.waitForSync();
    await waitFor('watch open', () => server.openWatches === 1);
    server.upsert('b');
    await waitFor('b delivered', () => names('add').includes('b'));
    expect(logLines.filter((l) => l.msg === 'informer handler threw')).to.have.length(2);
  });
});
