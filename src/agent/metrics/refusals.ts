// What an agent refused or dropped to stay within its bounds (inbound connections, event streams,
// key/value entries…): a counter per (resource, reason) and one rate-limited log line per incident,
// its text escaped because peers choose much of it.
import { Counter, type Registry } from 'prom-client';
import { escapeControl } from '../wire/limits-check.js';
import { METRIC_PREFIX } from './agent-metrics.js';
import { type LogWrite, RateLimitedLog, type RateLimitedLogOptions } from './rate-limited-log.js';

export interface Refusal {
  /** What was bounded, e.g. 'gossip-tcp', 'event-stream', 'kv'. */
  resource: string;
  /** Which bound, e.g. 'connection-limit', 'slow-subscriber'. */
  reason: string;
  /** The remote address involved, if any. */
  peer?: string;
  detail: string;
}

export class Refusals {
  private readonly counter: Counter<'resource' | 'reason'>;
  private readonly log: RateLimitedLog;

  constructor(registry: Registry, write: LogWrite, opts: RateLimitedLogOptions = {}) {
    this.counter = new Counter({
      name: `${METRIC_PREFIX}refused_total`,
      help: 'Things refused or dropped to stay within a bound, by resource and reason (see docs/configuration.md).',
      labelNames: ['resource', 'reason'],
      registers: [registry],
    });
    this.log = new RateLimitedLog(write, opts);
  }

  /** Zero-valued series, so a dashboard sees the metric before the first refusal. */
  declare(resource: string, reasons: readonly string[]): void {
    for (const reason of reasons) this.counter.inc({ resource, reason }, 0);
  }

  report(r: Refusal): void {
    this.counter.inc({ resource: r.resource, reason: r.reason });
    this.log.log(
      `${r.resource}/${r.reason}`,
      {
        resource: r.resource,
        reason: r.reason,
        ...(r.peer !== undefined ? { peer: escapeControl(r.peer) } : {}),
        detail: escapeControl(r.detail),
      },
      'refused: a bound was reached (further lines of this kind are rate-limited)',
    );
  }
}
