// The agent's side of queries it starts: sends one through the core and gathers the core's
// 'query-answer' events until 'query-done' (the core enforces the timeout, de-duplicates responders
// and bounds what it accepts), then resolves with acks and responses.
import { queryId } from './agent-events.js';
import { loadTagMatcher } from './base/tag-match.js';
import type { GossipNode } from './core/gossip-node.js';
import type { CoreEvent } from './core/types.js';
import type { QueryAnswer, QueryRequestBody, QueryResult } from './http/query-api.js';

const utf8 = new TextDecoder('utf-8');

interface Collecting {
  result: QueryResult;
  resolve: (r: QueryResult) => void;
}

export type RunOnNode = <T>(fn: (node: GossipNode, now: number) => T) => T;

export class QueryCollector {
  private readonly collecting = new Map<number, Collecting>();

  /** `onAnswer` sees each ack and response counted for a query (id and name), as it arrives. */
  constructor(
    private readonly run: RunOnNode,
    private readonly onAnswer: (
      q: { id: string; name: string },
      answer: { from: string; ack: boolean; payload: Uint8Array },
    ) => void = () => {},
  ) {}

  /** Answers that arrive while startQuery runs (the origin's own ack), before the seq is known. */
  private starting: CoreEvent[] | null = null;

  /** Rejects with what the core throws (RangeError for limits, QueryBusyError when too many are open). */
  async query(req: QueryRequestBody): Promise<QueryResult> {
    // The core compiles tag filters synchronously; the engine is loaded on first need.
    if (req.filters.tags.length > 0) await loadTagMatcher();
    return new Promise<QueryResult>((resolve) => {
      this.starting = [];
      let early: CoreEvent[];
      try {
        this.run((node, now) => {
          const ref = node.startQuery(
            {
              name: req.name,
              payload: req.payload,
              filters: req.filters,
              ack: req.ack,
              timeoutMs: req.timeoutMs,
            },
            now,
          );
          this.collecting.set(ref.seq, {
            result: { id: queryId(ref), name: req.name, timeoutMs: req.timeoutMs, acks: [], responses: [] },
            resolve,
          });
        });
      } finally {
        early = this.starting;
        this.starting = null;
      }
      for (const e of early) this.onCoreEvent(e);
    });
  }

  /** Takes the events about queries this agent started; false for every other event. */
  onCoreEvent(e: CoreEvent): boolean {
    if (e.type !== 'query-answer' && e.type !== 'query-done') return false;
    const c = this.collecting.get(e.seq);
    if (!c) {
      this.starting?.push(e);
      return true;
    }
    if (e.type === 'query-done') {
      this.collecting.delete(e.seq);
      c.result.acks.sort();
      c.resolve(c.result);
      return true;
    }
    this.onAnswer(c.result, e);
    if (e.ack) c.result.acks.push(e.from);
    else c.result.responses.push(answer(e.from, e.payload));
    return true;
  }

  /** Resolves every open query with what it has (the agent is stopping). */
  close(): void {
    for (const [seq, c] of this.collecting) {
      this.collecting.delete(seq);
      c.result.acks.sort();
      c.resolve(c.result);
    }
  }
}

function answer(from: string, payload: Uint8Array): QueryAnswer {
  return { from, payload: utf8.decode(payload), payloadBase64: Buffer.from(payload).toString('base64') };
}
