import { expect } from 'chai';
import { HealthServer, type ProbedInformer } from '../../src/operator/controller/health-server.js';
import { OperatorMetrics } from '../../src/operator/controller/operator-metrics.js';
import type { InformerHealth } from '../../src/operator/controller/resilient-informer.js';

class StubInformer implements ProbedInformer {
  synced = false;
  state: InformerHealth = { healthy: true };
  constructor(readonly name: string) {}
  hasSynced(): boolean {
    return this.synced;
  }
  health(): InformerHealth {
    return this.state;
  }
  /** What makes it not ready besides not being synced (e.g. its CRD is gone). */
  notReady: string | undefined;
  readiness(): InformerHealth {
    if (this.notReady) return { healthy: false, reason: this.notReady };
    return this.synced ? { healthy: true } : { healthy: false, reason: `${this.name}: not synced` };
  }
}

describe('controller health server (real HTTP)', () => {
  let server: HealthServer;
  let informers: StubInformer[];
  let leader: boolean;

  beforeEach(() => {
    informers = [new StubInformer('gossipclusters'), new StubInformer('daemonsets')];
    leader = false;
    const metrics = new OperatorMetrics({ isLeader: () => leader });
    metrics.apiWrite('apply', 'ConfigMap');
    server = new HealthServer({ informers: () => informers, metrics });
  });

  afterEach(() => server.close());

  it('readyz is 503 naming unsynced informers, 200 once all synced — leader or not', async () => {
    const url = await server.start('127.0.0.1:0');
    let res = await fetch(`${url}/readyz`);
    expect(res.status).to.equal(503);
    expect(await res.text()).to.equal('gossipclusters: not synced\ndaemonsets: not synced\n');
    informers[0]!.synced = true;
    res = await fetch(`${url}/readyz`);
    expect(await res.text()).to.equal('daemonsets: not synced\n');
    informers[1]!.synced = true;
    res = await fetch(`${url}/readyz`);
    expect(res.status).to.equal(200);
    expect(leader).to.equal(false); // a follower is ready
  });

  it('healthz is 200 while informers work, 503 with the reason when one is stuck', async () => {
    const url = await server.start('127.0.0.1:0');
    expect((await fetch(`${url}/healthz`)).status).to.equal(200);
    informers[1]!.state = { healthy: false, reason: 'daemonsets: failing for 130 s: Forbidden (403)' };
    const res = await fetch(`${url}/healthz`);
    expect(res.status).to.equal(503);
    expect(await res.text()).to.equal('daemonsets: failing for 130 s: Forbidden (403)\n');
  });

  it('an informer failing on a deleted CRD makes the operator not ready, never not alive', async () => {
    const url = await server.start('127.0.0.1:0');
    for (const i of informers) i.synced = true;
    informers[0]!.notReady = 'gossipclusters: the API answers 404 (is its CRD installed?)';
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).to.equal(503);
    expect(await ready.text()).to.equal('gossipclusters: the API answers 404 (is its CRD installed?)\n');
    expect((await fetch(`${url}/healthz`)).status).to.equal(200);
  });

  it('serves Prometheus metrics read at scrape time', async () => {
    const url = await server.start('127.0.0.1:0');
    leader = true;
    const res = await fetch(`${url}/metrics`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.contain('text/plain');
    const text = await res.text();
    expect(text).to.contain('grapevine_operator_leader 1');
    expect(text).to.contain('grapevine_operator_api_writes_total{verb="apply",kind="ConfigMap"} 1');
  });

  it('close() frees the port and start() refuses a second listen', async () => {
    const url = await server.start('127.0.0.1:0');
    let second: unknown;
    await server.start('127.0.0.1:0').catch((e: unknown) => {
      second = e;
    });
    expect((second as Error).message).to.equal('health server already started');
    await server.close();
    let refused = false;
    await fetch(`${url}/healthz`).catch(() => {
      refused = true;
    });
    expect(refused).to.equal(true);
  });
});
