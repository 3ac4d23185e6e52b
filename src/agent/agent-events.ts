// Turns the core's events into what the API streams: member views with local timestamps, and user
// events with their payload as text and exactly (base64).
import type { AgentEvent, MemberView, QueryResponseEvent } from './agent-api.js';
import type { QueryRef } from './core/queries.js';
import type { CoreEvent } from './core/types.js';
import type { MemberRecord } from './wire/messages.js';

const utf8 = new TextDecoder('utf-8');

export function memberView(r: MemberRecord, lastChange: number): MemberView {
  return {
    name: r.name,
    addr: r.addr,
    state: r.state,
    incarnation: r.incarnation,
    generation: r.generation,
    tags: r.tags,
    lastChange,
  };
}

/**
 * The API event for a core event, or null for events the API does not stream (kv, probes, …). `now`
 * is the core's (monotonic) clock when it differs from `at`,
 * to turn a query's deadline into wall-clock time.
 */
export function toAgentEvent(e: CoreEvent, at: number, now = at): AgentEvent | null {
  if (e.type === 'member') {
    return {
      kind: 'member',
      at,
      member: memberView(e.member, at),
      previous: e.previous,
      via: e.via,
      origin: e.rumor?.origin ?? null,
      originTime: e.rumor?.originTime ?? null,
      hops: e.rumor?.hops ?? null,
    };
  }
  if (e.type === 'user-event') {
    return {
      kind: 'user-event',
      at,
      name: e.name,
      payload: utf8.decode(e.payload),
      payloadBase64: Buffer.from(e.payload).toString('base64'),
      via: e.via,
      origin: e.origin,
      originTime: e.rumor.originTime,
      hops: e.rumor.hops,
    };
  }
  if (e.type === 'query') {
    return {
      kind: 'query',
      at,
      id: queryId(e.query),
      name: e.name,
      payload: utf8.decode(e.payload),
      payloadBase64: Buffer.from(e.payload).toString('base64'),
      via: e.via,
      origin: e.query.origin,
      originTime: e.rumor.originTime,
      hops: e.rumor.hops,
      // The core's clock is monotonic; the API speaks wall-clock time.
      deadline: at + Math.max(0, e.deadline - now),
      originAddr: e.query.originAddr,
      generation: e.query.generation,
      seq: e.query.seq,
    };
  }
  return null;
}

/** An answer to the query `q` (id and name), received by its origin or sent by a responder. */
export function queryResponseEvent(
  direction: QueryResponseEvent['direction'],
  q: { id: string; name: string },
  from: string,
  to: string,
  ack: boolean,
  payload: Uint8Array,
): QueryResponseEvent {
  return {
    kind: 'query-response',
    at: Date.now(),
    direction,
    id: q.id,
    name: q.name,
    from,
    to,
    ack,
    payload: utf8.decode(payload),
    payloadBase64: Buffer.from(payload).toString('base64'),
  };
}

/** `origin/generation/seq`, the id the API shows for a query. */
export function queryId(q: Pick<QueryRef, 'origin' | 'generation' | 'seq'>): string {
  return `${q.origin}/${q.generation}/${q.seq}`;
}
