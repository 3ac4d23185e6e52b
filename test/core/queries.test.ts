// Queries on the in-memory network with real GossipNodes: filters, acks and responses straight to
// the origin, de-duplication, the timeout, and every bound refusing what exceeds it.
import { expect } from 'chai';
import { loadTagMatcher } from '../../src/agent/base/tag-match.js';
import { resolveEngineConfig } from '../../src/agent/config/engine-schema.js';
import { QUERY_BOUNDS, QueryBusyError } from '../../src/agent/core/queries.js';
import type { CoreEvent } from '../../src/agent/core/types.js';
import { encodeMessage } from '../../src/agent/wire/message-codec.js';
import type { Message, QueryFilters } from '../../src/agent/wire/messages.js';
import { encodePacket } from '../../src/agent/wire/packet-codec.js';
import { MemoryCluster } from '../support/memory-cluster.js';

const names = (n: number) => Array.from({ length: n }, (_, i) => `node-${i}`);
const addrOf = (i: number) => `10.0.0.${i + 1}:7946`;
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const NO_FILTER: QueryFilters = { nodes: [], tags: [] };

function joinedCluster(n: number, seed = 3): MemoryCluster {
  const c = new MemoryCluster(seed, resolveEngineConfig({}));
  for (const [i, name] of names(n).entries()) c.add(name, addrOf(i));
  for (const [i, name] of names(n).entries()) if (i > 0) c.get(name).join([addrOf(0)], c.now);
  expect(c.runUntil(() => names(n).every((o) => c.get(o).counts().alive === n), 30_000)).to.equal(true);
  return c;
}

type Ev<T extends CoreEvent['type']> = Extract<CoreEvent, { type: T }>;
const eventsOf = <T extends CoreEvent['type']>(c: MemoryCluster, node: string, type: T): Ev<T>[] =>
  c.nodes.get(node)!.events.filter((e): e is Ev<T> & { at: number } => e.type === type);

/** A peer outside the cluster's nodes (it skips every check a GossipNode makes before sending). */
function sendAs(c: MemoryCluster, name: string, to: string, m: Message): void {
  const addr = '10.0.0.99:7946';
  const t = c.net.attach(addr);
  const packet = encodePacket(
    c.config.cluster,
    { name, generation: 1, addr, seq: ++forgedSeq },
    [encodeMessage(m)],
    null,
  );
  t.send(to, packet, 'datagram');
  c.net.detach(addr, t);
}
let forgedSeq = 0;

/** Every node answers each query delivered to it with its own name, as an agent's handler would. */
function answerWithName(c: MemoryCluster): void {
  for (const [name, n] of c.nodes) {
    for (const e of n.events) {
      if (e.type !== 'query' || (e as { answered?: boolean }).answered) continue;
      (e as { answered?: boolean }).answered = true;
      n.node.respondQuery(e.query, enc(name), c.now);
    }
  }
}

describe('core: queries (in-memory network)', function () {
  // The agent loads the RE2 engine when a tag filter first arrives (tested through real agents in
  // test/agent/lazy-modules.test.ts); here it is loaded up front.
  before(() => loadTagMatcher());
  this.timeout(60_000);

  it('reaches only members passing a tag filter; acks and responses come back once each', () => {
    const c = joinedCluster(10);
    for (const n of ['node-3', 'node-5', 'node-8']) c.get(n).setTags({ role: 'web' }, c.now);
    c.get('node-7').setTags({ role: 'webby' }, c.now); // anchored: 'web.?' does not match it
    c.run(5_000);
    const ref = c.get('node-0').startQuery(
      {
        name: 'uptime',
        payload: enc('?'),
        filters: { nodes: [], tags: [{ key: 'role', pattern: 'web.?' }] },
        ack: true,
        timeoutMs: 3_000,
      },
      c.now,
    );
    expect(ref).to.include({ origin: 'node-0', seq: 1 });
    for (let t = 0; t < 25; t++) {
      c.run(100);
      answerWithName(c);
    }
    for (const n of names(10)) {
      const got = eventsOf(c, n, 'query');
      const expected = ['node-3', 'node-5', 'node-8'].includes(n) ? 1 : 0;
      expect(got, n).to.have.length(expected);
      if (expected) expect(got[0]).to.include({ name: 'uptime' }).and.to.have.nested.property('query.seq', 1);
    }
    const answers = eventsOf(c, 'node-0', 'query-answer');
    const from = (ack: boolean) =>
      answers
        .filter((a) => a.ack === ack)
        .map((a) => a.from)
        .sort();
    expect(from(true)).to.deep.equal(['node-3', 'node-5', 'node-8']);
    expect(from(false)).to.deep.equal(['node-3', 'node-5', 'node-8']);
    for (const a of answers.filter((x) => !x.ack)) expect(dec(a.payload)).to.equal(a.from);
    expect(eventsOf(c, 'node-0', 'query-done')).to.deep.equal([]);
    c.run(1_000);
    const done = eventsOf(c, 'node-0', 'query-done');
    expect(done.map(({ seq, acks, responses }) => ({ seq, acks, responses }))).to.deep.equal([
      { seq: 1, acks: 3, responses: 3 },
    ]);
    // The query was passed on by rumor to everyone, whatever the filters (so it reaches the far side).
    expect(c.get('node-9').stats.messagesReceived.query ?? 0).to.be.greaterThan(0);
  });

  it('a node-name filter reaches exactly those nodes, the origin included when named', () => {
    const c = joinedCluster(6);
    c.get('node-1').startQuery(
      {
        name: 'q',
        payload: enc(''),
        filters: { nodes: ['node-1', 'node-4'], tags: [] },
        ack: false,
        timeoutMs: 2_000,
      },
      c.now,
    );
    c.run(2_500);
    for (const n of names(6))
      expect(eventsOf(c, n, 'query'), n).to.have.length(['node-1', 'node-4'].includes(n) ? 1 : 0);
    // No ack asked: none sent.
    expect(eventsOf(c, 'node-1', 'query-answer')).to.deep.equal([]);
    expect(eventsOf(c, 'node-1', 'query')[0]?.via).to.equal('local');
  });

  it('answers after the deadline are refused: expired at the responder, unknown at the origin', () => {
    const c = joinedCluster(4);
    c.get('node-0').startQuery(
      { name: 'slow', payload: enc(''), filters: NO_FILTER, ack: false, timeoutMs: 1_000 },
      c.now,
    );
    c.run(500);
    const late = eventsOf(c, 'node-2', 'query')[0]!;
    const early = eventsOf(c, 'node-3', 'query')[0]!;
    expect(c.get('node-3').respondQuery(early.query, enc('in time'), c.now)).to.equal('sent');
    expect(c.get('node-3').respondQuery(early.query, enc('twice'), c.now)).to.equal('already-answered');
    c.run(1_000);
    expect(c.get('node-2').respondQuery(late.query, enc('late'), c.now)).to.equal('expired');
    const answers = eventsOf(c, 'node-0', 'query-answer').filter((x) => !x.ack);
    expect(answers.map((x) => x.from)).to.deep.equal(['node-3']);
    // An answer that reaches the origin after it closed the query is refused and counted.
    const ref = eventsOf(c, 'node-0', 'query')[0]!.query;
    sendAs(c, 'forger', c.get('node-0').addr, {
      t: 'query-response',
      generation: ref.generation,
      seq: ref.seq,
      ack: false,
      payload: enc('too late'),
    });
    c.run(100);
    const refused = eventsOf(c, 'node-0', 'refused');
    expect(refused.map((r) => [r.reason, r.peer])).to.deep.equal([['unknown-query', 'forger']]);
    expect(eventsOf(c, 'node-0', 'query-answer').filter((x) => !x.ack)).to.have.length(1);
  });

  it('refuses oversized responses (sending and receiving), a payload over the limit, bad regexes, too many open queries', () => {
    const c = joinedCluster(3);
    const origin = c.get('node-0');
    const max = c.config.maxPayloadBytes;
    const req = { name: 'q', payload: enc(''), filters: NO_FILTER, ack: false, timeoutMs: 5_000 };
    expect(() => origin.startQuery({ ...req, payload: new Uint8Array(max + 1) }, c.now)).to.throw(
      RangeError,
      /maxPayloadBytes/,
    );
    expect(() =>
      origin.startQuery({ ...req, filters: { nodes: [], tags: [{ key: 'k', pattern: '(' }] } }, c.now),
    ).to.throw(RangeError, /invalid regular expression/);
    const ref = origin.startQuery(req, c.now);
    c.run(300);
    const delivered = eventsOf(c, 'node-1', 'query')[0]!;
    expect(() =>
      c.get('node-1').respondQuery(delivered.query, new Uint8Array(QUERY_BOUNDS.responseBytes + 1), c.now),
    ).to.throw(RangeError, /limit is 1024/);
    // A peer that skips that check: its datagram is refused at the origin, and counted.
    sendAs(c, 'forger', origin.addr, {
      t: 'query-response',
      generation: ref.generation,
      seq: ref.seq,
      ack: false,
      payload: new Uint8Array(QUERY_BOUNDS.responseBytes + 1),
    });
    c.run(100);
    const refusals = eventsOf(c, 'node-0', 'refused');
    expect(refusals.map((r) => [r.reason, r.peer])).to.deep.include(['response-bytes', 'forger']);
    expect(eventsOf(c, 'node-0', 'query-answer').filter((a) => !a.ack)).to.deep.equal([]);
    for (let i = 1; i < QUERY_BOUNDS.maxPending; i++) origin.startQuery(req, c.now);
    expect(() => origin.startQuery(req, c.now)).to.throw(QueryBusyError, /32 queries are still open/);
    expect(eventsOf(c, 'node-0', 'refused').filter((r) => r.reason === 'pending')).to.have.length(1);
    // Once they time out, there is room again.
    c.run(5_100);
    expect(eventsOf(c, 'node-0', 'query-done')).to.have.length(QUERY_BOUNDS.maxPending);
    expect(() => origin.startQuery(req, c.now)).not.to.throw();
  });

  it('a query at the hop limit (255) is passed on without failing to encode; a junk origin is refused', () => {
    const c = joinedCluster(3);
    const query = (origin: string, hops: number, seq: number) => ({
      t: 'query' as const,
      rumor: { origin, originTime: c.now, hops },
      generation: 1,
      seq,
      originAddr: '10.0.0.99:7946',
      timeoutMs: 1_000,
      ack: false,
      filters: { nodes: [], tags: [] },
      name: 'deep',
      payload: new Uint8Array(0),
    });
    sendAs(c, 'forger', c.get('node-1').addr, query('forger', 255, 1));
    c.run(2_000);
    // Relayed by node-1 (hops stay at 255): the others see it too, and refuse it only for its origin.
    for (const n of ['node-0', 'node-2'])
      expect(
        eventsOf(c, n, 'refused').map((r) => r.reason),
        n,
      ).to.deep.equal(['origin-addr']);
    sendAs(c, 'forger', c.get('node-1').addr, query('for\u0000ger', 0, 2));
    c.run(2_000);
    expect(eventsOf(c, 'node-1', 'refused').map((r) => r.detail)).to.include(
      'query from for\\u0000ger: its origin is not a member name',
    );
    // Not relayed: the other nodes saw only the first query.
    expect(eventsOf(c, 'node-2', 'refused')).to.have.length(1);
  });

  it('a tag filter that is not a valid expression matches nothing at the receiver and is counted', () => {
    const c = joinedCluster(3);
    sendAs(c, 'forger', c.get('node-1').addr, {
      t: 'query',
      rumor: { origin: 'forger', originTime: c.now, hops: 0 },
      generation: 1,
      seq: 1,
      originAddr: '10.0.0.99:7946',
      timeoutMs: 1_000,
      ack: true,
      filters: { nodes: [], tags: [{ key: 'role', pattern: '(' }] },
      name: 'q',
      payload: new Uint8Array(0),
    });
    c.run(100);
    expect(eventsOf(c, 'node-1', 'query')).to.deep.equal([]);
    expect(eventsOf(c, 'node-1', 'refused').map((r) => r.reason)).to.deep.equal(['bad-filter']);
  });

  it("a peer's tag filter is RE2: backreferences and lookaround are refused, nested quantifiers run linearly", () => {
    const c = joinedCluster(3);
    c.get('node-1').setTags({ role: 'a'.repeat(400) }, c.now);
    c.run(1_000);
    const patterns = ['(a)\\1', '(?=a)a+', '(a+)+b', '(a|aa)+'];
    for (const [i, pattern] of patterns.entries()) {
      sendAs(c, 'forger', c.get('node-1').addr, {
        t: 'query',
        rumor: { origin: 'forger', originTime: c.now, hops: 0 },
        generation: 1,
        seq: 10 + i,
        originAddr: '10.0.0.99:7946',
        timeoutMs: 1_000,
        ack: true,
        filters: { nodes: [], tags: [{ key: 'role', pattern }] },
        name: `q${i}`,
        payload: new Uint8Array(0),
      });
      c.run(100);
    }
    // JavaScript's RegExp would accept the first two and backtrack exponentially on `(a+)+b` over 400
    // a's (this test would never finish); RE2 refuses what it cannot match in linear time and decides
    // the rest at once: `(a+)+b` does not match, `(a|aa)+` does — and only then is the query refused
    // for its origin, which is not a live member (so nothing is delivered).
    expect(eventsOf(c, 'node-1', 'refused').map((r) => r.reason)).to.deep.equal([
      'bad-filter',
      'bad-filter',
      'origin-addr',
    ]);
    expect(eventsOf(c, 'node-1', 'query')).to.deep.equal([]);
  });

  it('answers only to the address the view holds for the origin (no reflection to a forged address)', () => {
    const c = joinedCluster(3);
    const forged = (origin: string, originAddr: string) => ({
      t: 'query' as const,
      rumor: { origin, originTime: c.now, hops: 0 },
      generation: 1,
      seq: 1,
      originAddr,
      timeoutMs: 1_000,
      ack: true,
      filters: NO_FILTER,
      name: 'q',
      payload: new Uint8Array(0),
    });
    // A member's name with someone else's address, and a name nobody knows.
    sendAs(c, 'forger', c.get('node-1').addr, forged('node-0', '10.0.0.77:7946'));
    sendAs(c, 'forger', c.get('node-1').addr, { ...forged('stranger', '10.0.0.78:7946'), seq: 2 });
    c.run(100);
    expect(eventsOf(c, 'node-1', 'query')).to.deep.equal([]);
    // (The network's random latency may deliver the two in either order.)
    expect(
      eventsOf(c, 'node-1', 'refused')
        .map((r) => [r.reason, r.peer])
        .sort(),
    ).to.deep.equal([
      ['origin-addr', 'node-0'],
      ['origin-addr', 'stranger'],
    ]);
    expect(c.get('node-1').stats.messagesSent['query-response'] ?? 0).to.equal(0);
  });
});
