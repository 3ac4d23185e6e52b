// Prometheus counters that follow the core's monotonic CoreStats. Each counter reads the source
// when scraped and adds what is new since the last scrape (see CounterSync for resets).
import { Counter, type Registry } from 'prom-client';
import type { CoreStats } from '../core/types.js';
import { CounterSync } from './counter-sync.js';
import { DROP_REASONS, MESSAGE_TYPES } from './label-values.js';

interface ScalarCounter {
  name: string;
  help: string;
  read: (s: CoreStats) => number;
}

const SCALARS: readonly ScalarCounter[] = [
  { name: 'probes_total', help: 'Direct probes (pings) sent.', read: (s) => s.probesSent },
  {
    name: 'probes_failed_total',
    help: 'Probes that got no ack, directly or through relays, before the probe deadline.',
    read: (s) => s.probesFailed,
  },
  {
    name: 'indirect_probes_total',
    help: 'Indirect probe requests (ping-req) sent to relays.',
    read: (s) => s.indirectProbesSent,
  },
  {
    name: 'fallback_probes_total',
    help: 'Probes re-tried over TCP after the direct and indirect UDP probes got no ack in time.',
    read: (s) => s.fallbackProbesSent,
  },
  {
    name: 'fallback_probes_refused_total',
    help: 'Fallback probes whose TCP connection the target refused; the probe then failed without waiting out the protocol period, and its suspicion expires after refusedSuspicionTimeoutMs at most.',
    read: (s) => s.fallbackProbesRefused,
  },
  {
    name: 'probes_brought_forward_total',
    help: 'Probes of a member started early, ahead of the round-robin order, because it closed or reset the TCP connection held to it (its process may have died).',
    read: (s) => s.probesBroughtForward,
  },
  { name: 'nacks_sent_total', help: 'Nacks sent as a relay (Lifeguard).', read: (s) => s.nacksSent },
  {
    name: 'nacks_received_total',
    help: 'Nacks received from relays (Lifeguard).',
    read: (s) => s.nacksReceived,
  },
  {
    name: 'suspicions_raised_total',
    help: 'Members this agent declared suspect after a failed probe.',
    read: (s) => s.suspicionsRaised,
  },
  {
    name: 'suspicions_refuted_total',
    help: 'Times this agent refuted a suspicion or death about itself.',
    read: (s) => s.suspicionsRefuted,
  },
  {
    name: 'deaths_declared_total',
    help: 'Members this agent declared dead when their suspicion timed out.',
    read: (s) => s.deathsDeclared,
  },
  {
    name: 'packets_sent_total',
    help: 'Packets sent (datagrams and stream frames).',
    read: (s) => s.packetsSent,
  },
  {
    name: 'packets_received_total',
    help: 'Packets received (datagrams and stream frames), dropped ones included.',
    read: (s) => s.packetsReceived,
  },
  { name: 'bytes_sent_total', help: 'Bytes of packets sent.', read: (s) => s.bytesSent },
  { name: 'bytes_received_total', help: 'Bytes of packets received.', read: (s) => s.bytesReceived },
  {
    name: 'direct_mail_sent_total',
    help: 'Direct-mail packets sent (first tries).',
    read: (s) => s.directMailSent,
  },
  {
    name: 'direct_mail_retries_total',
    help: 'Direct-mail resends after a missing ack.',
    read: (s) => s.directMailRetries,
  },
  {
    name: 'direct_mail_acked_total',
    help: 'Direct-mail packets acknowledged.',
    read: (s) => s.directMailAcked,
  },
  {
    name: 'direct_mail_dropped_total',
    help: 'Direct-mail packets given up (retries exhausted, queue full or peer gone).',
    read: (s) => s.directMailDropped,
  },
  {
    name: 'rumors_pruned_total',
    help: 'Rumors dropped because the rumor queue was full (most-transmitted first).',
    read: (s) => s.rumorsPruned,
  },
  {
    name: 'anti_entropy_rounds_total',
    help: 'Anti-entropy sessions this agent started (join push-pulls included).',
    read: (s) => s.antiEntropyRounds,
  },
  {
    name: 'anti_entropy_bytes_total',
    help: 'Bytes this agent sent over the stream channel, i.e. in anti-entropy sessions.',
    read: (s) => s.antiEntropyBytes,
  },
  {
    name: 'anti_entropy_repaired_total',
    help: 'Entries (members, key/values) anti-entropy brought up to date here.',
    read: (s) => s.antiEntropyRepaired,
  },
  {
    name: 'anti_entropy_aborted_total',
    help: 'Anti-entropy sessions dropped because a send to the peer failed; the next round retries.',
    read: (s) => s.antiEntropyAborted,
  },
  {
    name: 'anti_entropy_evicted_total',
    help: 'Anti-entropy sessions dropped, least recently active first, to keep at most 64 open; their peer times out and retries.',
    read: (s) => s.antiEntropyEvicted,
  },
];

interface LabelledCounter {
  name: string;
  help: string;
  label: string;
  values: readonly string[];
  read: (s: CoreStats) => Partial<Record<string, number>>;
}

const LABELLED: readonly LabelledCounter[] = [
  {
    name: 'messages_sent_total',
    help: 'Protocol messages sent, by message type (a packet carries one or more).',
    label: 'type',
    values: MESSAGE_TYPES,
    read: (s) => s.messagesSent,
  },
  {
    name: 'messages_received_total',
    help: 'Protocol messages received in accepted packets, by message type.',
    label: 'type',
    values: MESSAGE_TYPES,
    read: (s) => s.messagesReceived,
  },
  {
    name: 'packets_dropped_total',
    help: 'Received packets dropped, by reason.',
    label: 'reason',
    values: DROP_REASONS,
    read: (s) => s.dropped,
  },
];

/** Registers the CoreStats counters on `registry`; `stats` is called on every scrape. */
export function registerStatsCounters(registry: Registry, prefix: string, stats: () => CoreStats): void {
  const sync = new CounterSync();
  for (const spec of SCALARS) {
    const counter: Counter = new Counter({
      name: prefix + spec.name,
      help: spec.help,
      registers: [registry],
      collect: () => counter.inc(sync.delta(spec.name, spec.read(stats()))),
    });
  }
  for (const spec of LABELLED) {
    const counter: Counter<string> = new Counter({
      name: prefix + spec.name,
      help: spec.help,
      labelNames: [spec.label],
      registers: [registry],
      collect: () => {
        const counts = spec.read(stats());
        for (const v of spec.values) {
          counter.inc({ [spec.label]: v }, sync.delta(`${spec.name}\u0000${v}`, counts[v] ?? 0));
        }
      },
    });
    // Every label value exists from the start, at 0.
    for (const v of spec.values) counter.inc({ [spec.label]: v }, 0);
  }
}
