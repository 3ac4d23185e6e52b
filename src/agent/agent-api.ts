// What the HTTP API, the metrics and the demo need from a running agent. The Agent class implements
// it; the API layer depends only on this, so it can be tested against a small fake as well.

import type { MemberStateName, MemberView, SelfView } from '../contract/agent-http.js';
import type { Via } from './core/types.js';
import type { MemberState } from './wire/messages.js';

// The /v1/self and /v1/members shapes are the agent's HTTP contract, shared with the operator.
export type { MemberView, SelfView } from '../contract/agent-http.js';

// The wire's member states and the contract's must stay the same set (a compile-time check).
type SameStates = [MemberState] extends [MemberStateName]
  ? [MemberStateName] extends [MemberState]
    ? true
    : never
  : never;
const _sameStates: SameStates = true;
void _sameStates;

/** One change as this agent learned it; origin/originTime/hops are null when no rumor carried it. */
export type AgentEvent =
  | {
      kind: 'member';
      /** Local wall-clock ms when this agent learned it. */
      at: number;
      member: MemberView;
      previous: MemberState | null;
      via: Via;
      origin: string | null;
      originTime: number | null;
      hops: number | null;
    }
  | ({ kind: 'user-event' } & RumoredPayload)
  | ({
      /** A query this agent passes the filters of (see docs/api.md#queries). */
      kind: 'query';
      /** `origin/generation/seq`: names the query. */
      id: string;
      /** Local wall-clock ms after which an answer is no longer sent. */
      deadline: number;
      /** Where the answer goes (the origin's gossip address). */
      originAddr: string;
      generation: number;
      seq: number;
    } & RumoredPayload)
  | QueryResponseEvent;

/**
 * An answer to a query, as `grapevine monitor` shows it: 'received' by this agent for a query it
 * started (an ack, or a response with a payload), or a response 'sent' by it (its event handler's
 * output). The agents' own queries (key rotation) are not shown.
 */
export interface QueryResponseEvent {
  kind: 'query-response';
  at: number;
  direction: 'received' | 'sent';
  /** `origin/generation/seq` of the query answered. */
  id: string;
  /** The query's name. */
  name: string;
  /** The responder ('received') or this agent ('sent'). */
  from: string;
  /** The query's origin: this agent when 'received'. */
  to: string;
  ack: boolean;
  payload: string;
  payloadBase64: string;
}
/** What user events and queries share: a name and payload that a rumor carried from its origin. */
export interface RumoredPayload {
  at: number;
  name: string;
  /** The payload as UTF-8 text (invalid sequences replaced) and exactly, as base64. */
  payload: string;
  payloadBase64: string;
  via: Via;
  origin: string;
  originTime: number;
  hops: number;
}

export interface AgentApi {
  self(): SelfView;
  members(): MemberView[];
  /** Every membership change, user event, query and query answer from now on; returns the unsubscribe function. */
  subscribe(listener: (e: AgentEvent) => void): () => void;
  /**
   * Throws RangeError (with a message for the user) when name or payload exceed their limits.
   * `directMail: false` spreads it by rumor mongering alone (default: rumor and direct mail).
   */
  fireEvent(name: string, payload: Uint8Array, opts?: { directMail?: boolean }): void;
  kvGet(key: string): Uint8Array | undefined;
  /** Throws RangeError when the key or value exceed their limits. */
  kvPut(key: string, value: Uint8Array): void;
  /** Returns false when the key did not exist. */
  kvDelete(key: string): boolean;
  /** Announces leave, waits (bounded) for it to spread, then stops the agent. */
  leave(): Promise<void>;
  /** Prometheus text exposition of this agent's metrics. */
  metrics(): Promise<{ contentType: string; body: string }>;
}
