// Queries (Serf's request/response over gossip). The origin names a query by (origin, generation,
// seq) like a user event and spreads it the same way (rumor + direct mail). Every member that passes
// the filters (node names; tags matching anchored regular expressions) delivers it to its agent and,
// when asked, acknowledges at once; the agent's answer goes straight back to the origin's address in
// one datagram. The origin keeps the query open for its (relative) timeout, counts each responder's
// ack and response once, and refuses what exceeds its bounds.
//
// Bounds, each refusal reported as a 'refused' event (resource 'query'):
//   origin:    at most maxPending open queries ('pending'), maxResponses answers per query
//              ('responses'), responses of at most responseBytes ('response-bytes'), answers to
//              queries not open any more ('unknown-query');
//   responder: at most maxDelivered queries awaiting this node's answer ('delivered'), tag filters
//              that are not valid expressions ('bad-filter'), queries whose origin is not a live
//              member at the address they name ('origin-addr': answers would go elsewhere).
//
// Tag filters need the RE2 engine, which the agent loads only when first needed (base/tag-match.ts):
// a query with tag filters that arrives before then waits here (counted against maxDelivered), the
// core emits 'tag-matcher-needed', and the agent calls resumeParked() once the engine is loaded.
import { type AnchoredPattern, anchoredRegex, tagMatcherLoaded, tagsMatch } from '../base/tag-match.js';
import type { EngineConfig } from '../config/engine-schema.js';
import { EventDedupe } from '../state/event-dedupe.js';
import { escapeControl } from '../wire/limits-check.js';
import type { Addr, MemberRecord, Message, QueryFilters } from '../wire/messages.js';
import type { Timer } from './deadlines.js';
import { localRumor } from './membership.js';
import { relayed, saneName } from './record-bounds.js';
import type { CoreEvent, Via } from './types.js';

export const QUERY_BOUNDS = {
  /** Queries this node has started and still collects answers for. */
  maxPending: 32,
  /** Distinct responders counted per query (acks and responses each). */
  maxResponses: 1024,
  /** Queries delivered here and still open (answered or not). */
  maxDelivered: 1024,
  /** Largest response payload; also capped so that it fits one datagram (see responseLimit). */
  responseBytes: 1024,
  /** Room left in a datagram for the packet header, sender and response fields. */
  datagramHeadroom: 256,
} as const;

type QueryMessage = Extract<Message, { t: 'query' }>;
type ResponseMessage = Extract<Message, { t: 'query-response' }>;

export interface QueryRequest {
  name: string;
  payload: Uint8Array;
  filters: QueryFilters;
  /** Ask responders to acknowledge on receipt. */
  ack: boolean;
  timeoutMs: number;
}

/** Names one query and where its answers go. */
export interface QueryRef {
  origin: string;
  originAddr: Addr;
  generation: number;
  seq: number;
}

/** More queries are open than QUERY_BOUNDS.maxPending: nothing was sent. */
export class QueryBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryBusyError';
  }
}

export type RespondResult = 'sent' | 'expired' | 'already-answered';

export interface QueriesHost {
  readonly name: string;
  readonly addr: Addr;
  generation(): number;
  config(): EngineConfig;
  self(): MemberRecord;
  /** The address the membership view holds for a live member, if any. */
  liveAddr(name: string): Addr | undefined;
  event(e: CoreEvent): void;
  rumor(m: Message): void;
  announce(m: Message, now: number): void;
  /** One datagram straight to `to`. */
  reply(to: Addr, m: Message): void;
  schedule(at: number, timer: Timer): void;
}

interface Pending {
  deadline: number;
  acks: Set<string>;
  responses: Set<string>;
}

interface Parked {
  m: QueryMessage;
  via: Via;
  arrivedAt: number;
}

interface Delivered {
  ref: QueryRef;
  deadline: number;
  answered: boolean;
}

/** The largest response payload a node sends or accepts under `cfg`. */
export function responseLimit(cfg: EngineConfig): number {
  return Math.max(
    0,
    Math.min(QUERY_BOUNDS.responseBytes, cfg.maxPacketBytes - QUERY_BOUNDS.datagramHeadroom),
  );
}

export class Queries {
  private seq = 0;
  private readonly seen: EventDedupe;
  private readonly pending = new Map<number, Pending>();
  /** Queries delivered here, answered or not, until their deadline (counted from arrival). */
  private readonly delivered = new Map<string, Delivered>();
  /** Queries with tag filters that arrived before the tag matcher was loaded. */
  private parked: Parked[] = [];

  constructor(private readonly host: QueriesHost) {
    // Query ids only need to outlive the rumor's circulation, which is far shorter than a reap.
    this.seen = new EventDedupe({ forgetAfterMs: host.config().deadReapMs, maxOrigins: 100_000 });
  }

  get open(): number {
    return this.pending.size;
  }

  /** Starts a query; throws RangeError over the payload limit, QueryBusyError over maxPending. */
  start(req: QueryRequest, now: number): QueryRef {
    const max = this.host.config().maxPayloadBytes;
    if (req.payload.length > max)
      throw new RangeError(`payload is ${req.payload.length} bytes; the limit (maxPayloadBytes) is ${max}`);
    if (req.filters.tags.length > 0 && !tagMatcherLoaded())
      throw new Error('a query with tag filters was started before loadTagMatcher() resolved');
    for (const t of req.filters.tags) {
      try {
        anchoredRegex(t.pattern);
      } catch (err) {
        throw new RangeError(`tag filter ${t.key}: invalid regular expression (${(err as Error).message})`);
      }
    }
    if (this.pending.size >= QUERY_BOUNDS.maxPending) {
      const detail = `${this.pending.size} queries are still open (limit ${QUERY_BOUNDS.maxPending})`;
      this.refused('pending', detail);
      throw new QueryBusyError(`${detail}; retry when one has ended`);
    }
    const seq = ++this.seq;
    const generation = this.host.generation();
    this.seen.firstTime(this.host.name, generation, seq, now);
    const rumor = localRumor(this.host.name, now);
    const m: QueryMessage = {
      t: 'query',
      rumor,
      generation,
      seq,
      originAddr: this.host.addr,
      timeoutMs: req.timeoutMs,
      ack: req.ack,
      filters: req.filters,
      name: req.name,
      payload: req.payload,
    };
    const deadline = now + req.timeoutMs;
    this.pending.set(seq, { deadline, acks: new Set(), responses: new Set() });
    this.host.schedule(deadline, { kind: 'query', seq });
    // Encoded (and so checked against the wire limits) before anything is delivered or sent.
    this.host.announce(m, now);
    this.deliver(m, 'local', now);
    return { origin: this.host.name, originAddr: this.host.addr, generation, seq };
  }

  /** A query from a peer: passed on once, delivered here when this node passes its filters. */
  onQuery(m: QueryMessage, via: Via, now: number): void {
    // Checked before it takes a de-duplication slot: a junk origin is never a member to answer.
    if (!saneName(m.rumor.origin)) {
      this.refused(
        'origin-addr',
        `query from ${escapeControl(m.rumor.origin, 64)}: its origin is not a member name`,
      );
      return;
    }
    if (!this.seen.firstTime(m.rumor.origin, m.generation, m.seq, now)) return;
    const rumor = relayed(m.rumor);
    this.host.rumor({ ...m, rumor });
    this.deliver({ ...m, rumor }, via, now);
  }

  /**
   * The agent's answer to a query delivered here. Throws RangeError over the response limit;
   * 'expired' after the query's timeout (counted from its arrival), 'already-answered' the second time.
   */
  respond(ref: QueryRef, payload: Uint8Array, now: number): RespondResult {
    const limit = responseLimit(this.host.config());
    if (payload.length > limit)
      throw new RangeError(`response is ${payload.length} bytes; the limit is ${limit}`);
    this.expireDelivered(now);
    const d = this.delivered.get(refKey(ref));
    if (!d) return 'expired';
    if (d.answered) return 'already-answered';
    d.answered = true;
    this.answer(d.ref, false, payload, now);
    return 'sent';
  }

  /** An ack or response from `from`, for one of our queries. */
  onResponse(m: ResponseMessage, from: string, now: number): void {
    const p = m.generation === this.host.generation() ? this.pending.get(m.seq) : undefined;
    if (!p || now >= p.deadline) {
      this.refused('unknown-query', `${m.ack ? 'ack' : 'response'} for a query not open here`, from);
      return;
    }
    const limit = responseLimit(this.host.config());
    if (!m.ack && m.payload.length > limit) {
      this.refused('response-bytes', `response of ${m.payload.length} bytes (limit ${limit})`, from);
      return;
    }
    const seen = m.ack ? p.acks : p.responses;
    if (seen.has(from)) return;
    if (seen.size >= QUERY_BOUNDS.maxResponses) {
      this.refused('responses', `query ${m.seq} already has ${seen.size} ${m.ack ? 'acks' : 'responses'}`);
      return;
    }
    seen.add(from);
    this.host.event({ type: 'query-answer', seq: m.seq, from, ack: m.ack, payload: m.payload });
  }

  /** The timer of one of our queries fired: it is closed. */
  onTimer(seq: number, now: number): void {
    const p = this.pending.get(seq);
    if (!p || now < p.deadline) return;
    this.pending.delete(seq);
    this.host.event({ type: 'query-done', seq, acks: p.acks.size, responses: p.responses.size });
  }

  /** Forgets old query ids and delivered queries past their deadline. */
  expire(now: number): void {
    this.seen.prune(now);
    this.expireDelivered(now);
  }

  /** The tag matcher is loaded: delivers the queries that waited for it (those not expired since). */
  resumeParked(now: number): void {
    const parked = this.parked;
    this.parked = [];
    for (const p of parked) this.deliver(p.m, p.via, now, p.arrivedAt);
  }

  reconfigure(cfg: EngineConfig): void {
    this.seen.forgetAfterMs = cfg.deadReapMs;
  }

  private deliver(m: QueryMessage, via: Via, now: number, arrivedAt = now): void {
    const deadline = arrivedAt + m.timeoutMs;
    // Waited for the tag matcher past its timeout: the origin has stopped listening.
    if (arrivedAt < now && deadline <= now) return;
    if (!passesNodes(m, this.host.self().name)) return;
    if (m.filters.tags.length > 0 && !tagMatcherLoaded()) {
      this.park({ m, via, arrivedAt: now });
      return;
    }
    if (!this.passesTags(m)) return;
    // Answers go only to the address the view holds for the origin: a forged originAddr would
    // otherwise turn every member into a reflector aimed at someone else.
    if (via !== 'local' && this.host.liveAddr(m.rumor.origin) !== m.originAddr) {
      this.refused('origin-addr', `origin is not a live member at ${m.originAddr}`, m.rumor.origin);
      return;
    }
    const ref: QueryRef = {
      origin: m.rumor.origin,
      originAddr: m.originAddr,
      generation: m.generation,
      seq: m.seq,
    };
    if (this.full(m.rumor.origin, now)) return;
    this.delivered.set(refKey(ref), { ref, deadline, answered: false });
    this.host.event({
      type: 'query',
      query: ref,
      name: m.name,
      payload: m.payload,
      deadline,
      via,
      rumor: m.rumor,
    });
    if (m.ack) this.answer(ref, true, new Uint8Array(0), now);
  }

  private answer(ref: QueryRef, ack: boolean, payload: Uint8Array, now: number): void {
    const m: ResponseMessage = {
      t: 'query-response',
      generation: ref.generation,
      seq: ref.seq,
      ack,
      payload,
    };
    if (ref.origin === this.host.name && ref.generation === this.host.generation()) {
      this.onResponse(m, this.host.name, now);
      return;
    }
    this.host.reply(ref.originAddr, m);
  }

  private park(p: Parked): void {
    if (this.full(p.m.rumor.origin, p.arrivedAt)) return;
    this.parked.push(p);
    if (this.parked.length === 1) this.host.event({ type: 'tag-matcher-needed' });
  }

  /** True (and refused) when maxDelivered queries are open here, delivered or waiting. */
  private full(origin: string, now: number): boolean {
    this.expireDelivered(now);
    const open = this.delivered.size + this.parked.length;
    if (open < QUERY_BOUNDS.maxDelivered) return false;
    this.refused('delivered', `${open} queries delivered here are still open`, origin);
    return true;
  }

  private passesTags(m: QueryMessage): boolean {
    const self = this.host.self();
    const { tags } = m.filters;
    const compiled: Array<{ key: string; value: AnchoredPattern }> = [];
    for (const t of tags) {
      try {
        compiled.push({ key: t.key, value: anchoredRegex(t.pattern) });
      } catch {
        this.refused('bad-filter', `tag filter ${t.key} is not a valid expression`, m.rumor.origin);
        return false;
      }
    }
    return tagsMatch(self.tags, compiled);
  }

  private expireDelivered(now: number): void {
    for (const [key, d] of this.delivered) if (d.deadline <= now) this.delivered.delete(key);
  }

  private refused(reason: QueryRefusal, detail: string, peer?: string): void {
    this.host.event({ type: 'refused', resource: 'query', reason, detail, ...(peer ? { peer } : {}) });
  }
}

export const QUERY_REFUSALS = [
  'pending',
  'responses',
  'response-bytes',
  'unknown-query',
  'delivered',
  'bad-filter',
  'origin-addr',
] as const;
export type QueryRefusal = (typeof QUERY_REFUSALS)[number];

function passesNodes(m: QueryMessage, self: string): boolean {
  return m.filters.nodes.length === 0 || m.filters.nodes.includes(self);
}

function refKey(ref: QueryRef): string {
  return `${ref.origin}\u0000${ref.generation}\u0000${ref.seq}`;
}
