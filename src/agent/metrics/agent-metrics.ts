// The agent's Prometheus metrics: counters and gauges read from the core at scrape time, and
// histograms fed with the core's events. One Registry per agent (never prom-client's global one),
// so several agents in one process (tests, the demo) keep their metrics apart.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { CoreEvent } from '../core/types.js';
import { agentVersion } from './agent-version.js';
import { CONVERGENCE_SECONDS_BUCKETS, PROBE_RTT_SECONDS_BUCKETS } from './buckets.js';
import { ConvergenceTracker } from './convergence-tracker.js';
import type { MetricsSource } from './metrics-source.js';
import { RumorMetrics } from './rumor-metrics.js';
import { registerStateGauges } from './state-gauges.js';
import { registerStatsCounters } from './stats-counters.js';
import { registerViewDigest } from './view-digest-metrics.js';

/** Resolution of prom-client's event-loop-lag monitor (docs/metrics.md). */
export const EVENT_LOOP_SAMPLE_MS = 500;

export const METRIC_PREFIX = 'grapevine_';

export interface AgentMetricsOptions {
  /**
   * Also export prom-client's process and Node.js metrics (process_*, nodejs_eventloop_lag_*,
   * nodejs_heap_*): event-loop lag delays acks and so causes false suspicions. The agent turns it on;
   * off by default so that tests and simulations with many registries in one process do not repeat it.
   */
  processMetrics?: boolean;
  /** Where to register; a fresh Registry by default. */
  registry?: Registry;
  /** This agent's member name, for grapevine_agent_info. */
  node?: string;
  /** The cluster name, for grapevine_agent_info. */
  cluster?: string;
  /** Defaults to the version in package.json. */
  version?: string;
  /** How long the view must stay unchanged for a burst of membership changes to count as converged. */
  convergenceQuietMs?: number;
  /** Wall-clock ms, read at scrape time to end quiet convergence bursts (default Date.now). */
  now?: () => number;
}

export class AgentMetrics {
  readonly registry: Registry;
  private readonly rumors: RumorMetrics;
  private readonly probeRtt: Histogram;
  private readonly convergence: Histogram;
  private readonly tracker: ConvergenceTracker;
  private readonly handlerRuns: Counter<'result'>;

  constructor(
    private readonly source: MetricsSource,
    opts: AgentMetricsOptions = {},
  ) {
    const registry = opts.registry ?? new Registry();
    const now = opts.now ?? Date.now;
    this.registry = registry;
    this.tracker = new ConvergenceTracker({ quietMs: opts.convergenceQuietMs });

    const info = new Gauge({
      name: `${METRIC_PREFIX}agent_info`,
      help: 'Always 1; labels identify the agent: its version, cluster and member name.',
      labelNames: ['version', 'cluster', 'node'],
      registers: [registry],
    });
    info.set(
      { version: opts.version ?? agentVersion(), cluster: opts.cluster ?? '', node: opts.node ?? '' },
      1,
    );

    registerStateGauges(registry, METRIC_PREFIX, source);
    registerStatsCounters(registry, METRIC_PREFIX, () => source.stats());
    registerViewDigest(registry, METRIC_PREFIX, () => source.viewDigest());
    this.rumors = new RumorMetrics(registry, METRIC_PREFIX);
    this.probeRtt = new Histogram({
      name: `${METRIC_PREFIX}probe_rtt_seconds`,
      help: 'Probe round-trip time: from sending the ping to the first ack, direct or relayed.',
      buckets: PROBE_RTT_SECONDS_BUCKETS,
      registers: [registry],
    });
    this.convergence = new Histogram({
      name: `${METRIC_PREFIX}convergence_seconds`,
      help: 'Duration of bursts of membership changes: from the origin time of its first change to the last change seen here.',
      buckets: CONVERGENCE_SECONDS_BUCKETS,
      registers: [registry],
      // A scrape may be the first to notice that the view has gone quiet.
      collect: () => this.settle(this.tracker.poll(source.viewDigest(), now())),
    });
    // Event-loop lag sampled every EVENT_LOOP_SAMPLE_MS: every stall as long as a probe timeout is
    // seen. Each sample wakes the process: at 10 ms the sampler alone cost an idle agent ~0.6 % CPU.
    if (opts.processMetrics)
      collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    this.handlerRuns = new Counter({
      name: `${METRIC_PREFIX}event_handler_runs_total`,
      help: 'Event-handler runs by result: ok, failed (non-zero exit), timeout (killed), dropped (queue full).',
      labelNames: ['result'],
      registers: [registry],
    });
  }

  /** Counts one event-handler run by how it ended (ok, failed, timeout, dropped). */
  eventHandlerResult(result: 'ok' | 'failed' | 'timeout' | 'dropped'): void {
    this.handlerRuns.inc({ result });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Feeds one core event, seen at local wall-clock `nowMs`. */
  observe(e: CoreEvent, nowMs: number): void {
    switch (e.type) {
      case 'member':
        if (e.rumor && e.via !== 'local') this.rumors.observe('member', e.rumor, nowMs);
        this.settle(this.tracker.change(e, this.source.viewDigest(), nowMs));
        return;
      case 'user-event':
        if (e.via !== 'local') this.rumors.observe('user-event', e.rumor, nowMs);
        break;
      case 'kv':
        if (e.rumor && e.via !== 'local') this.rumors.observe('kv', e.rumor, nowMs);
        break;
      case 'probe-rtt':
        this.probeRtt.observe(e.ms / 1000);
        break;
      case 'member-reaped':
      case 'anti-entropy':
      case 'refused': // counted by the agent's Refusals (grapevine_refused_total)
      case 'dropped': // counted from CoreStats (grapevine_packets_dropped_total)
        // Counted from CoreStats; a reaping changes the view digest, which poll() sees below.
        break;
    }
    if (this.tracker.open) this.settle(this.tracker.poll(this.source.viewDigest(), nowMs));
  }

  /** The Prometheus text exposition of every metric of this agent. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  private settle(endedMs: number | null): void {
    if (endedMs !== null) this.convergence.observe(endedMs / 1000);
  }
}
