import type { Channel, DropReason, Rng } from '../base/types.js';
import type { Addr, MemberRecord, MemberState, MessageType, RumorMeta } from '../wire/messages.js';
import type { QueryRef } from './queries.js';

export type { DropReason, Rng };

/** How a piece of state reached this node. */
export type Via = 'local' | 'rumor' | 'mail' | 'anti-entropy' | 'probe';

export type CoreEvent =
  | {
      type: 'member';
      member: MemberRecord;
      previous: MemberState | null;
      via: Via;
      /** The rumor that carried the change, when one did. */
      rumor: RumorMeta | null;
    }
  | { type: 'member-reaped'; name: string }
  | {
      type: 'user-event';
      origin: string;
      name: string;
      payload: Uint8Array;
      via: Via;
      rumor: RumorMeta;
    }
  | { type: 'kv'; key: string; value: Uint8Array | null; writer: string; via: Via; rumor: RumorMeta | null }
  | { type: 'probe-rtt'; target: string; ms: number }
  /** A query that this node passes the filters of; `deadline` is local (arrival + timeout). */
  | {
      type: 'query';
      query: QueryRef;
      name: string;
      payload: Uint8Array;
      deadline: number;
      via: Via;
      rumor: RumorMeta;
    }
  /** At the origin: one responder's ack or response (each counted once per query). */
  | { type: 'query-answer'; seq: number; from: string; ack: boolean; payload: Uint8Array }
  /** At the origin: the query's timeout passed; nothing more is collected for it. */
  | { type: 'query-done'; seq: number; acks: number; responses: number }
  /** A query with tag filters waits for the tag matcher: load it, then call resumeParkedQueries. */
  | { type: 'tag-matcher-needed' }
  | { type: 'anti-entropy'; peer: Addr; bytes: number; repaired: number; equal: boolean }
  /**
   * Something refused or dropped to stay within a bound, for the agent's refusal metric and log
   * (query: see queries.ts; kv: a write over kvMaxEntries / kvMaxBytes, or an entry outside the
   * codec's limits; event-dedupe: an origin forgotten over eventDedupeMaxOrigins, or a gap given up
   * over eventDedupeMaxPendingPerOrigin).
   */
  /**
   * A record from a peer dropped (already counted in stats.dropped), for the agent's rate-limited
   * log line; `detail` holds peer-chosen text, to be escaped before it is written.
   */
  | { type: 'dropped'; reason: DropReason; detail: string }
  | {
      type: 'refused';
      resource: 'query' | 'kv' | 'event-dedupe';
      reason: string;
      detail: string;
      peer?: string;
    };

/** Where the core's output goes: sockets in an agent, queues in the simulator. */
export interface CoreOutput {
  send(to: Addr, bytes: Uint8Array, channel: Channel): void;
  event(e: CoreEvent): void;
}

/** Monotonic counters the agent turns into Prometheus metrics. */
export interface CoreStats {
  probesSent: number;
  probesFailed: number;
  indirectProbesSent: number;
  /** Probes re-tried over the stream transport after the UDP probes failed (memberlist's TCP ping). */
  fallbackProbesSent: number;
  /** Fallback probes whose connection the target refused (the probe then ended early). */
  fallbackProbesRefused: number;
  /** Probes brought forward because the member closed the stream connection we held to it. */
  probesBroughtForward: number;
  nacksSent: number;
  nacksReceived: number;
  suspicionsRaised: number;
  suspicionsRefuted: number;
  deathsDeclared: number;
  messagesSent: Partial<Record<MessageType, number>>;
  messagesReceived: Partial<Record<MessageType, number>>;
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  dropped: Partial<Record<DropReason, number>>;
  directMailSent: number;
  directMailRetries: number;
  directMailDropped: number;
  directMailAcked: number;
  /** Rumors dropped because the rumor queue was full (the most-transmitted first). */
  rumorsPruned: number;
  antiEntropyRounds: number;
  antiEntropyBytes: number;
  antiEntropyRepaired: number;
  /** Sessions dropped because a send to their peer failed (retried on the next round). */
  antiEntropyAborted: number;
  /** Sessions dropped to keep at most maxSessions open (the least recently active first). */
  antiEntropyEvicted: number;
}

export function emptyStats(): CoreStats {
  return {
    probesSent: 0,
    probesFailed: 0,
    indirectProbesSent: 0,
    fallbackProbesSent: 0,
    fallbackProbesRefused: 0,
    probesBroughtForward: 0,
    nacksSent: 0,
    nacksReceived: 0,
    suspicionsRaised: 0,
    suspicionsRefuted: 0,
    deathsDeclared: 0,
    messagesSent: {},
    messagesReceived: {},
    packetsSent: 0,
    packetsReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    dropped: {},
    directMailSent: 0,
    directMailRetries: 0,
    directMailDropped: 0,
    directMailAcked: 0,
    rumorsPruned: 0,
    antiEntropyRounds: 0,
    antiEntropyBytes: 0,
    antiEntropyRepaired: 0,
    antiEntropyAborted: 0,
    antiEntropyEvicted: 0,
  };
}
