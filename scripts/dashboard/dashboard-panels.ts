// What the Grapevine dashboard shows: one typed table of panels and their PromQL. Every query
// aggregates over agents (sum/max/quantiles by a bounded label: state, type, reason, kind), so a
// 1,000-node cluster still draws a handful of series per panel; only the operator panels split by
// pod (its replicas). Agent series carry the `namespace` and `gossipcluster` target labels (the
// chart's PodMonitor); the operator's do not depend on them.

/** Grafana's unit ids (https://grafana.com/docs/grafana/latest/panels-visualizations/configure-standard-options/). */
export type Unit = 's' | 'short' | 'none' | 'cps' | 'pps' | 'Bps' | 'ops';

export interface PanelQuery {
  expr: string;
  legend: string;
}

export interface PanelSpec {
  title: string;
  description: string;
  unit: Unit;
  queries: PanelQuery[];
  /** Minimum of the y axis (counts and rates never go below 0). */
  min?: number;
}

export interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

/** Selects the agents of the chosen namespace(s) and GossipCluster(s). */
const S = 'namespace=~"$namespace", gossipcluster=~"$gossipcluster"';
const rate = (metric: string, extra = '') => `rate(${metric}{${S}${extra}}[$__rate_interval])`;
const quantile = (q: number, histogram: string, by = 'le', extra = '') =>
  `histogram_quantile(${q}, sum by (${by}) (${rate(`${histogram}_bucket`, extra)}))`;

export const DASHBOARD_ROWS: RowSpec[] = [
  {
    title: 'Membership',
    panels: [
      {
        title: 'Members by state',
        description:
          'Members in the agents’ views, by state (the largest view among the agents), and how many agents are scraped.',
        unit: 'short',
        min: 0,
        queries: [
          { expr: `max by (state) (grapevine_members{${S}})`, legend: '{{state}}' },
          { expr: `count(grapevine_agent_info{${S}})`, legend: 'agents scraped' },
        ],
      },
      {
        title: 'Suspicions, deaths and refutations',
        description:
          'Members declared suspect and dead, and suspicions refuted by their subject, per second, over all agents.',
        unit: 'cps',
        min: 0,
        queries: [
          { expr: `sum(${rate('grapevine_suspicions_raised_total')})`, legend: 'suspicions raised' },
          { expr: `sum(${rate('grapevine_deaths_declared_total')})`, legend: 'deaths declared' },
          { expr: `sum(${rate('grapevine_suspicions_refuted_total')})`, legend: 'refutations' },
        ],
      },
      {
        title: 'Convergence time',
        description:
          'How long bursts of membership changes took to reach the agents (grapevine_convergence_seconds), p50 and p99 over all agents.',
        unit: 's',
        min: 0,
        queries: [
          { expr: quantile(0.5, 'grapevine_convergence_seconds'), legend: 'p50' },
          { expr: quantile(0.99, 'grapevine_convergence_seconds'), legend: 'p99' },
        ],
      },
      {
        title: 'View agreement',
        description:
          'Distinct membership views among the agents (1 = every agent holds the same view, converged) and the agents reporting one.',
        unit: 'short',
        min: 0,
        queries: [
          {
            expr: `count(count_values("digest", grapevine_view_digest{${S}}))`,
            legend: 'distinct views',
          },
          { expr: `count(grapevine_view_digest{${S}})`, legend: 'agents' },
        ],
      },
    ],
  },
  {
    title: 'Dissemination',
    panels: [
      {
        title: 'Infection spread',
        description:
          'Time from a rumor’s creation at its origin to its arrival at an agent, p50 and p99 by rumor kind (member, user-event, kv).',
        unit: 's',
        min: 0,
        queries: [
          { expr: quantile(0.5, 'grapevine_rumor_spread_seconds', 'le, kind'), legend: 'p50 {{kind}}' },
          { expr: quantile(0.99, 'grapevine_rumor_spread_seconds', 'le, kind'), legend: 'p99 {{kind}}' },
        ],
      },
      {
        title: 'Infection hops',
        description: 'Relays a rumor went through before reaching an agent, p50 and p99 over all kinds.',
        unit: 'none',
        min: 0,
        queries: [
          { expr: quantile(0.5, 'grapevine_rumor_hops'), legend: 'p50' },
          { expr: quantile(0.99, 'grapevine_rumor_hops'), legend: 'p99' },
        ],
      },
      {
        title: 'Rumors arriving',
        description: 'Rumors received per second over all agents, by kind.',
        unit: 'cps',
        min: 0,
        queries: [
          {
            expr: `sum by (kind) (${rate('grapevine_rumor_spread_seconds_count')})`,
            legend: '{{kind}}',
          },
        ],
      },
    ],
  },
  {
    title: 'Traffic',
    panels: [
      {
        title: 'Messages by type',
        description: 'Protocol messages sent per second over all agents, by message type.',
        unit: 'cps',
        min: 0,
        queries: [{ expr: `sum by (type) (${rate('grapevine_messages_sent_total')})`, legend: '{{type}}' }],
      },
      {
        title: 'Packets',
        description: 'Packets (datagrams and stream frames) sent and received per second over all agents.',
        unit: 'pps',
        min: 0,
        queries: [
          { expr: `sum(${rate('grapevine_packets_sent_total')})`, legend: 'sent' },
          { expr: `sum(${rate('grapevine_packets_received_total')})`, legend: 'received' },
        ],
      },
      {
        title: 'Bytes',
        description: 'Bytes of all packets sent and received per second over all agents.',
        unit: 'Bps',
        min: 0,
        queries: [
          { expr: `sum(${rate('grapevine_bytes_sent_total')})`, legend: 'sent' },
          { expr: `sum(${rate('grapevine_bytes_received_total')})`, legend: 'received' },
        ],
      },
      {
        title: 'Dropped packets by reason',
        description: 'Received packets dropped per second over all agents, by reason.',
        unit: 'pps',
        min: 0,
        queries: [
          { expr: `sum by (reason) (${rate('grapevine_packets_dropped_total')})`, legend: '{{reason}}' },
        ],
      },
    ],
  },
  {
    title: 'Failure detection',
    panels: [
      {
        title: 'Probe round-trip time',
        description: 'From a ping to its first ack (direct or relayed), p50 and p99 over all agents.',
        unit: 's',
        min: 0,
        queries: [
          { expr: quantile(0.5, 'grapevine_probe_rtt_seconds'), legend: 'p50' },
          { expr: quantile(0.99, 'grapevine_probe_rtt_seconds'), legend: 'p99' },
        ],
      },
      {
        title: 'Local health',
        description:
          'Lifeguard local health score (0 = healthy; high = this agent is slow): the worst agent, the mean, and how many agents are above 0.',
        unit: 'short',
        min: 0,
        queries: [
          { expr: `max(grapevine_local_health_score{${S}})`, legend: 'worst agent' },
          { expr: `avg(grapevine_local_health_score{${S}})`, legend: 'mean' },
          { expr: `sum(grapevine_local_health_score{${S}} > bool 0)`, legend: 'agents above 0' },
        ],
      },
    ],
  },
  {
    title: 'Direct mail and anti-entropy',
    panels: [
      {
        title: 'Direct mail',
        description: 'Direct-mail packets per second over all agents: first sends, retries, acks and drops.',
        unit: 'pps',
        min: 0,
        queries: [
          { expr: `sum(${rate('grapevine_direct_mail_sent_total')})`, legend: 'sent' },
          { expr: `sum(${rate('grapevine_direct_mail_retries_total')})`, legend: 'retries' },
          { expr: `sum(${rate('grapevine_direct_mail_acked_total')})`, legend: 'acked' },
          { expr: `sum(${rate('grapevine_direct_mail_dropped_total')})`, legend: 'dropped' },
        ],
      },
      {
        title: 'Anti-entropy exchanges and repairs',
        description:
          'Anti-entropy sessions started, and entries (members, key/values) they brought up to date, per second over all agents.',
        unit: 'cps',
        min: 0,
        queries: [
          { expr: `sum(${rate('grapevine_anti_entropy_rounds_total')})`, legend: 'exchanges' },
          { expr: `sum(${rate('grapevine_anti_entropy_repaired_total')})`, legend: 'entries repaired' },
        ],
      },
      {
        title: 'Anti-entropy bytes',
        description: 'Bytes sent on the stream channel (anti-entropy sessions) per second over all agents.',
        unit: 'Bps',
        min: 0,
        queries: [{ expr: `sum(${rate('grapevine_anti_entropy_bytes_total')})`, legend: 'sent' }],
      },
    ],
  },
  {
    title: 'Operator',
    panels: [
      {
        title: 'Reconciles and errors',
        description: 'GossipCluster reconciles per second by result, over the operator replicas.',
        unit: 'ops',
        min: 0,
        queries: [
          {
            expr: 'sum by (result) (rate(grapevine_operator_reconciles_total[$__rate_interval]))',
            legend: '{{result}}',
          },
          {
            expr: 'sum(rate(grapevine_operator_reconcile_errors_total[$__rate_interval]))',
            legend: 'errors',
          },
        ],
      },
      {
        title: 'Work queue depth',
        description: 'GossipCluster keys waiting to be reconciled, per operator replica.',
        unit: 'short',
        min: 0,
        queries: [{ expr: 'max by (pod) (grapevine_operator_queue_depth)', legend: '{{pod}}' }],
      },
      {
        title: 'Leader',
        description: '1 for the replica holding the leader Lease, 0 for the others.',
        unit: 'short',
        min: 0,
        queries: [{ expr: 'max by (pod) (grapevine_operator_leader)', legend: '{{pod}}' }],
      },
    ],
  },
];
