// Byte layout of the query messages (type codes 15 and 16 in message-codec.ts). Each body starts with
// a format byte (QUERY_FORMAT): a later layout gets a new format number, and a decoder refuses a
// format it does not know instead of misreading it. Then, in order:
//   query:          format | rumor | generation | seq | originAddr | timeoutMs | flags (bit0 ack)
//                   | node count | names | tag filter count | (key, pattern)* sorted by key | name | payload
//   query-response: format | generation | seq | flags (bit0 ack) | payload
// Unknown flag bits are refused, so each message has one encoding (decode → encode is identity).
import type { ByteReader } from './byte-reader.js';
import type { ByteWriter } from './byte-writer.js';
import { DecodeError } from './decode-error.js';
import { LIMITS } from './limits.js';
import type { Message, QueryFilters, RumorMeta } from './messages.js';

export const QUERY_FORMAT = 1;
const FLAG_ACK = 0x01;

type Query = Extract<Message, { t: 'query' }>;
type QueryResponse = Extract<Message, { t: 'query-response' }>;

export interface RumorCodec {
  write(w: ByteWriter, rumor: RumorMeta): void;
  read(r: ByteReader): RumorMeta;
}

export function writeQuery(w: ByteWriter, m: Query, rumor: RumorCodec): void {
  w.u8(QUERY_FORMAT);
  rumor.write(w, m.rumor);
  w.varint(m.generation, 'generation');
  w.varint(m.seq, 'seq');
  w.string(m.originAddr, LIMITS.addr, 'originAddr');
  if (m.timeoutMs > LIMITS.queryTimeoutMs)
    throw new RangeError(`timeoutMs: ${m.timeoutMs} exceeds ${LIMITS.queryTimeoutMs}`);
  w.varint(m.timeoutMs, 'timeoutMs');
  w.u8(m.ack ? FLAG_ACK : 0);
  writeFilters(w, m.filters);
  w.string(m.name, LIMITS.eventName, 'query name', true);
  w.bytes(m.payload, LIMITS.payload, 'payload');
}

export function readQuery(r: ByteReader, rumor: RumorCodec): Query {
  readFormat(r);
  return {
    t: 'query',
    rumor: rumor.read(r),
    generation: r.varint('generation'),
    seq: r.varint('seq'),
    originAddr: r.string(LIMITS.addr, 'originAddr'),
    timeoutMs: r.varintMax(LIMITS.queryTimeoutMs, 'timeoutMs'),
    ack: readFlags(r),
    filters: readFilters(r),
    name: r.string(LIMITS.eventName, 'query name', true),
    payload: r.bytes(LIMITS.payload, 'payload'),
  };
}

export function writeQueryResponse(w: ByteWriter, m: QueryResponse): void {
  w.u8(QUERY_FORMAT);
  w.varint(m.generation, 'generation');
  w.varint(m.seq, 'seq');
  w.u8(m.ack ? FLAG_ACK : 0);
  w.bytes(m.payload, LIMITS.payload, 'payload');
}

export function readQueryResponse(r: ByteReader): QueryResponse {
  readFormat(r);
  return {
    t: 'query-response',
    generation: r.varint('generation'),
    seq: r.varint('seq'),
    ack: readFlags(r),
    payload: r.bytes(LIMITS.payload, 'payload'),
  };
}

function writeFilters(w: ByteWriter, f: QueryFilters): void {
  if (f.nodes.length > LIMITS.queryNodes)
    throw new RangeError(`query nodes: ${f.nodes.length} exceeds ${LIMITS.queryNodes}`);
  w.varint(f.nodes.length);
  for (const n of f.nodes) w.string(n, LIMITS.name, 'query node', true);
  if (f.tags.length > LIMITS.queryTags)
    throw new RangeError(`query tag filters: ${f.tags.length} exceeds ${LIMITS.queryTags}`);
  const tags = [...f.tags].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  w.varint(tags.length);
  let previous: string | null = null;
  for (const t of tags) {
    if (previous === t.key) throw new RangeError(`query tag filters: '${t.key}' given twice`);
    previous = t.key;
    w.string(t.key, LIMITS.tagKey, 'tag filter key');
    w.string(t.pattern, LIMITS.queryPattern, 'tag filter pattern');
  }
}

function readFilters(r: ByteReader): QueryFilters {
  const nodes: string[] = [];
  const nn = r.count('query nodes', 2, LIMITS.queryNodes);
  for (let i = 0; i < nn; i++) nodes.push(r.string(LIMITS.name, 'query node', true));
  const tags: QueryFilters['tags'] = [];
  const nt = r.count('query tag filters', 2, LIMITS.queryTags);
  let previous: string | null = null;
  for (let i = 0; i < nt; i++) {
    const key = r.string(LIMITS.tagKey, 'tag filter key');
    // Strictly ascending keys: one encoding per filter set, and no key twice.
    if (previous !== null && !(previous < key))
      throw new DecodeError('query tag filters: keys not strictly ascending');
    previous = key;
    tags.push({ key, pattern: r.string(LIMITS.queryPattern, 'tag filter pattern') });
  }
  return { nodes, tags };
}

function readFormat(r: ByteReader): void {
  const format = r.u8('query format');
  if (format !== QUERY_FORMAT) throw new DecodeError(`query format ${format} is not supported`);
}

function readFlags(r: ByteReader): boolean {
  const flags = r.u8('query flags');
  if ((flags & ~FLAG_ACK) !== 0) throw new DecodeError(`query flags: unknown bits ${flags}`);
  return (flags & FLAG_ACK) !== 0;
}
