// The operator's Prometheus metrics, on their own Registry (never prom-client's global one, so tests and
// an in-process agent keep theirs apart). Queue depth and leadership are read at scrape time from the
// sources handed in, so they can never drift from the truth.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type ReconcileResult = 'success' | 'error' | 'requeue';

export interface OperatorMetricsSources {
  /** Keys ready in the work queue (WorkQueue.length). */
  queueDepth?: () => number;
  /** Whether this replica currently holds the lease. */
  isLeader?: () => boolean;
}

/** Reconciles take from a few ms (nothing to do) to tens of seconds (slow apiserver, agent status). */
export const RECONCILE_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class OperatorMetrics {
  readonly registry: Registry;
  private readonly reconciles: Counter<'result'>;
  private readonly reconcileErrors: Counter;
  private readonly reconcileDuration: Histogram;
  private readonly informerRestarts: Counter<'informer'>;
  private readonly apiWrites: Counter<'verb' | 'kind'>;
  private readonly statusRounds: Histogram;
  private readonly agentRequests: Counter;

  constructor(sources: OperatorMetricsSources = {}, registry: Registry = new Registry()) {
    this.registry = registry;
    this.reconciles = new Counter({
      name: 'grapevine_operator_reconciles_total',
      help: 'Reconciles of GossipClusters, by result.',
      labelNames: ['result'],
      registers: [registry],
    });
    // Start every result at 0 so rate() and absent() queries work before the first reconcile.
    for (const result of ['success', 'error', 'requeue'] as const) this.reconciles.inc({ result }, 0);
    this.reconcileErrors = new Counter({
      name: 'grapevine_operator_reconcile_errors_total',
      help: 'Reconciles that failed with an error.',
      registers: [registry],
    });
    this.reconcileDuration = new Histogram({
      name: 'grapevine_operator_reconcile_duration_seconds',
      help: 'Time taken by one reconcile.',
      buckets: RECONCILE_SECONDS_BUCKETS,
      registers: [registry],
    });
    new Gauge({
      name: 'grapevine_operator_queue_depth',
      help: 'GossipCluster keys waiting in the work queue.',
      registers: [registry],
      collect() {
        this.set(sources.queueDepth?.() ?? 0);
      },
    });
    new Gauge({
      name: 'grapevine_operator_leader',
      help: '1 when this replica holds the leader lease, else 0.',
      registers: [registry],
      collect() {
        this.set(sources.isLeader?.() ? 1 : 0);
      },
    });
    this.informerRestarts = new Counter({
      name: 'grapevine_operator_informer_restarts_total',
      help: 'Informer restarts after list/watch errors.',
      labelNames: ['informer'],
      registers: [registry],
    });
    this.statusRounds = new Histogram({
      name: 'grapevine_operator_status_round_seconds',
      help: 'Duration of one status round (agents asked for their view) of one GossipCluster.',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.agentRequests = new Counter({
      name: 'grapevine_operator_agent_requests_total',
      help: 'GET /v1/self requests sent to agents by status rounds.',
      registers: [registry],
    });
    this.apiWrites = new Counter({
      name: 'grapevine_operator_api_writes_total',
      help: 'Writes (create/update/patch/apply/delete) sent to the Kubernetes API, by verb and kind.',
      labelNames: ['verb', 'kind'],
      registers: [registry],
    });
  }

  /** Counts one reconcile and its duration; an 'error' result also counts in reconcile_errors_total. */
  reconciled(result: ReconcileResult, seconds: number): void {
    this.reconciles.inc({ result });
    if (result === 'error') this.reconcileErrors.inc();
    this.reconcileDuration.observe(seconds);
  }

  /** Times fn as one reconcile: 'error' if it throws (rethrown), else what it returns. */
  async timeReconcile(fn: () => Promise<ReconcileResult>): Promise<ReconcileResult> {
    const started = performance.now();
    try {
      const result = await fn();
      this.reconciled(result, (performance.now() - started) / 1000);
      return result;
    } catch (err) {
      this.reconciled('error', (performance.now() - started) / 1000);
      throw err;
    }
  }

  informerRestarted(informer: string): void {
    this.informerRestarts.inc({ informer });
  }

  statusRound(seconds: number, agentsAsked: number): void {
    this.statusRounds.observe(seconds);
    this.agentRequests.inc(agentsAsked);
  }

  apiWrite(verb: string, kind: string): void {
    this.apiWrites.inc({ verb, kind });
  }

  /** Sum of api writes so far (for the "zero writes while idle" benchmark). */
  async apiWritesTotal(): Promise<number> {
    const metric = await this.apiWrites.get();
    return metric.values.reduce((sum, v) => sum + v.value, 0);
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
