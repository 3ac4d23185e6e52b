// Gauges read from the source at scrape time: members by state, local health, pending work.
import { Gauge, type Registry } from 'prom-client';
import { MEMBER_STATES } from '../wire/messages.js';
import type { MetricsSource } from './metrics-source.js';

export function registerStateGauges(registry: Registry, prefix: string, source: MetricsSource): void {
  const members: Gauge<'state'> = new Gauge({
    name: `${prefix}members`,
    help: 'Members in the view of this agent, by state (this agent included).',
    labelNames: ['state'],
    registers: [registry],
    collect: () => {
      const counts = source.counts();
      for (const state of MEMBER_STATES) members.set({ state }, counts[state] ?? 0);
    },
  });
  for (const state of MEMBER_STATES) members.set({ state }, 0);
  const simple: Array<[string, string, () => number]> = [
    [
      'local_health_score',
      'Lifeguard local health score: 0 is healthy; probe timeouts are stretched by (score + 1).',
      () => source.healthScore(),
    ],
    [
      'pending_rumors',
      'Rumors queued here that still have retransmissions left.',
      () => source.pendingRumors(),
    ],
    ['pending_direct_mail', 'Direct-mail packets awaiting an ack or a retry.', () => source.pendingMail()],
  ];
  for (const [name, help, read] of simple) {
    const gauge: Gauge = new Gauge({
      name: prefix + name,
      help,
      registers: [registry],
      collect: () => gauge.set(read()),
    });
  }
}
