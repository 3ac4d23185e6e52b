// Infection spread: how long rumors took to reach this agent and over how many hops.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { RumorMeta } from '../wire/messages.js';
import { HOP_BUCKETS, SPREAD_SECONDS_BUCKETS } from './buckets.js';
import { RUMOR_KINDS, type RumorKind } from './label-values.js';

export class RumorMetrics {
  private readonly spread: Histogram<'kind'>;
  private readonly hops: Histogram<'kind'>;
  private readonly skew: Counter;

  constructor(registry: Registry, prefix: string) {
    this.spread = new Histogram({
      name: `${prefix}rumor_spread_seconds`,
      help: 'Time from the creation of a rumor at its origin (origin clock) to its arrival here (local clock), by kind.',
      labelNames: ['kind'],
      buckets: SPREAD_SECONDS_BUCKETS,
      registers: [registry],
    });
    this.hops = new Histogram({
      name: `${prefix}rumor_hops`,
      help: 'Relays between the origin of a rumor and this agent, by kind.',
      labelNames: ['kind'],
      buckets: HOP_BUCKETS,
      registers: [registry],
    });
    this.skew = new Counter({
      name: `${prefix}rumor_clock_skew_total`,
      help: 'Rumors that arrived before their origin time (origin clock ahead of ours); their spread is not recorded.',
      registers: [registry],
    });
    for (const kind of RUMOR_KINDS) {
      this.spread.zero({ kind });
      this.hops.zero({ kind });
    }
  }

  /**
   * A rumor of `kind` arrived at local wall-clock `nowMs`. One that arrived before its origin time
   * says only that the origin's clock is ahead: its spread is unknown, so it is counted as skew
   * rather than recorded as a 0 s spread that would pull the quantiles down. Hops do not depend on
   * clocks and are always recorded.
   */
  observe(kind: RumorKind, rumor: RumorMeta, nowMs: number): void {
    const ms = nowMs - rumor.originTime;
    if (ms < 0) this.skew.inc();
    else this.spread.observe({ kind }, ms / 1000);
    this.hops.observe({ kind }, rumor.hops);
  }
}
