import { expect } from 'chai';
import { OperatorMetrics } from '../../src/operator/controller/operator-metrics.js';
import { WorkQueue } from '../../src/operator/controller/work-queue.js';

/** Value of one sample line in Prometheus text format, e.g. sample(text, 'x_total{result="ok"}'). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('controller operator metrics', () => {
  it('counts reconciles by result, errors separately, and their durations', async () => {
    const m = new OperatorMetrics();
    m.reconciled('success', 0.02);
    m.reconciled('success', 0.2);
    m.reconciled('requeue', 0.001);
    m.reconciled('error', 3);
    const text = await m.metrics();
    expect(sample(text, 'grapevine_operator_reconciles_total{result="success"}')).to.equal(2);
    expect(sample(text, 'grapevine_operator_reconciles_total{result="requeue"}')).to.equal(1);
    expect(sample(text, 'grapevine_operator_reconciles_total{result="error"}')).to.equal(1);
    expect(sample(text, 'grapevine_operator_reconcile_errors_total')).to.equal(1);
    expect(sample(text, 'grapevine_operator_reconcile_duration_seconds_count')).to.equal(4);
    expect(sample(text, 'grapevine_operator_reconcile_duration_seconds_bucket{le="0.025"}')).to.equal(2);
    expect(sample(text, 'grapevine_operator_reconcile_duration_seconds_bucket{le="5"}')).to.equal(4);
    expect(sample(text, 'grapevine_operator_reconcile_duration_seconds_sum')).to.be.closeTo(3.221, 1e-9);
  });

  it('exposes every result at 0 before the first reconcile', async () => {
    const text = await new OperatorMetrics().metrics();
    for (const r of ['success', 'error', 'requeue']) {
      expect(sample(text, `grapevine_operator_reconciles_total{result="${r}"}`)).to.equal(0);
    }
  });

  it('timeReconcile records the returned result, or error when the reconcile throws', async () => {
    const m = new OperatorMetrics();
    expect(await m.timeReconcile(async () => 'requeue')).to.equal('requeue');
    let thrown: unknown;
    await m
      .timeReconcile(async () => {
        throw new Error('boom');
      })
      .catch((e: unknown) => {
        thrown = e;
      });
    expect((thrown as Error).message).to.equal('boom');
    const text = await m.metrics();
    expect(sample(text, 'grapevine_operator_reconciles_total{result="requeue"}')).to.equal(1);
    expect(sample(text, 'grapevine_operator_reconcile_errors_total')).to.equal(1);
  });

  it('reads queue depth and leadership at scrape time', async () => {
    const queue = new WorkQueue();
    let leader = false;
    const m = new OperatorMetrics({ queueDepth: () => queue.length, isLeader: () => leader });
    let text = await m.metrics();
    expect(sample(text, 'grapevine_operator_queue_depth')).to.equal(0);
    expect(sample(text, 'grapevine_operator_leader')).to.equal(0);
    queue.add('a/x');
    queue.add('a/y');
    leader = true;
    text = await m.metrics();
    expect(sample(text, 'grapevine_operator_queue_depth')).to.equal(2);
    expect(sample(text, 'grapevine_operator_leader')).to.equal(1);
    await queue.shutdown();
  });

  it('counts informer restarts and API writes by labels, with a total for the idle benchmark', async () => {
    const m = new OperatorMetrics();
    m.informerRestarted('gossipclusters');
    m.informerRestarted('gossipclusters');
    m.apiWrite('apply', 'DaemonSet');
    m.apiWrite('apply', 'ConfigMap');
    m.apiWrite('apply', 'ConfigMap');
    m.apiWrite('create', 'Event');
    const text = await m.metrics();
    expect(sample(text, 'grapevine_operator_informer_restarts_total{informer="gossipclusters"}')).to.equal(2);
    expect(sample(text, 'grapevine_operator_api_writes_total{verb="apply",kind="ConfigMap"}')).to.equal(2);
    expect(sample(text, 'grapevine_operator_api_writes_total{verb="create",kind="Event"}')).to.equal(1);
    expect(await m.apiWritesTotal()).to.equal(4);
  });

  it('keeps registries apart between instances', async () => {
    const a = new OperatorMetrics();
    const b = new OperatorMetrics();
    a.apiWrite('apply', 'Service');
    expect(await b.apiWritesTotal()).to.equal(0);
  });
});
