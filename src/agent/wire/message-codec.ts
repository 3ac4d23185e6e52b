// Binary layout of every Message: one type byte, then the fields in declaration order. Integers are
// varints (timestamps in ms need > 32 bits), enums and small bounded numbers are single bytes,
// strings and byte arrays carry a varint length, hashes are two big-endian u32 lanes. The encoding is
// canonical (minimal varints, tags sorted by key), so decode → encode gives back the same bytes.

import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { DecodeError } from './decode-error.js';
import { LIMITS } from './limits.js';
import {
  type AntiEntropyMode,
  type KeyDigest,
  type KvEntry,
  MEMBER_STATES,
  type MemberRecord,
  type Message,
  type MessageType,
  type RumorMeta,
  type TreeNodeDigest,
} from './messages.js';
import { readQuery, readQueryResponse, writeQuery, writeQueryResponse } from './query-codec.js';

/** Type bytes are part of the wire format (version 1): never renumber, only append. */
export const MESSAGE_TYPE_CODES: Readonly<Record<MessageType, number>> = {
  ping: 1,
  'ping-req': 2,
  ack: 3,
  nack: 4,
  member: 5,
  'user-event': 6,
  kv: 7,
  mail: 8,
  'mail-ack': 9,
  'ae-start': 10,
  'ae-equal': 11,
  'ae-tree': 12,
  'ae-keys': 13,
  'ae-entries': 14,
  query: 15,
  'query-response': 16,
  'ae-part': 17,
};

const AE_MODES: readonly AntiEntropyMode[] = ['push', 'pull', 'push-pull'];

/** Smallest encodings, used to refuse element counts that cannot fit in the bytes left. */
const MIN_BYTES = {
  tag: 2, // two empty strings
  member: 2 + 1 + 1 + 1 + 1 + 1, // name(≥2) addr gen incarnation state tagCount
  kv: 1 + 1 + 1 + 2 + 1, // key value clock writer(≥2) at
  treeNode: 1 + 1 + 8 + 1,
  subtree: 2,
  keyDigest: 16,
  hash: 8,
} as const;

const TYPE_BY_CODE = new Map<number, MessageType>(
  Object.entries(MESSAGE_TYPE_CODES).map(([t, code]) => [code, t as MessageType]),
);

/** The type of an encoded message (its first byte), for counting what is sent without decoding. */
export function encodedMessageType(encoded: Uint8Array): MessageType | undefined {
  const code = encoded[0];
  return code === undefined ? undefined : TYPE_BY_CODE.get(code);
}

export function encodeMessage(m: Message): Uint8Array {
  const w = new ByteWriter(32);
  w.u8(MESSAGE_TYPE_CODES[m.t]);
  switch (m.t) {
    case 'ping':
      w.varint(m.seq, 'seq');
      w.string(m.target, LIMITS.name, 'target', true);
      break;
    case 'ping-req':
      w.varint(m.seq, 'seq');
      w.string(m.target, LIMITS.name, 'target', true);
      w.string(m.targetAddr, LIMITS.addr, 'targetAddr');
      break;
    case 'ack':
    case 'nack':
      w.varint(m.seq, 'seq');
      break;
    case 'member':
      writeRumor(w, m.rumor);
      writeMember(w, m.member);
      w.string(m.from, LIMITS.name, 'from', true);
      break;
    case 'user-event':
      writeRumor(w, m.rumor);
      w.varint(m.generation, 'generation');
      w.varint(m.seq, 'seq');
      w.string(m.name, LIMITS.eventName, 'event name');
      w.bytes(m.payload, LIMITS.payload, 'payload');
      break;
    case 'kv':
      writeRumor(w, m.rumor);
      writeKv(w, m.entry);
      break;
    case 'mail':
    case 'mail-ack':
      w.varint(m.id, 'mail id');
      break;
    case 'ae-start':
      w.varint(m.session, 'session');
      w.u8(enumIndex(AE_MODES, m.mode, 'mode'));
      w.hash64(m.root, 'root');
      w.varint(m.count, 'count');
      break;
    case 'ae-equal':
      w.varint(m.session, 'session');
      break;
    case 'ae-tree':
      w.varint(m.session, 'session');
      w.varint(m.nodes.length);
      for (const n of m.nodes) writeTreeNode(w, n);
      break;
    case 'ae-keys':
      w.varint(m.session, 'session');
      w.varint(m.subtrees.length);
      for (const s of m.subtrees) {
        w.u8(treeLevel(s.level), 'level');
        w.varint(s.index, 'index');
      }
      w.varint(m.keys.length);
      for (const k of m.keys) {
        w.hash64(k.keyHash, 'keyHash');
        w.hash64(k.entryHash, 'entryHash');
      }
      break;
    case 'ae-entries':
    case 'ae-part':
      w.varint(m.session, 'session');
      w.varint(m.members.length);
      for (const member of m.members) writeMember(w, member);
      w.varint(m.kv.length);
      for (const e of m.kv) writeKv(w, e);
      if (m.t === 'ae-part') break;
      w.varint(m.want.length);
      for (const h of m.want) w.hash64(h, 'want');
      break;
    case 'query':
      writeQuery(w, m, RUMOR);
      break;
    case 'query-response':
      writeQueryResponse(w, m);
      break;
    default:
      throw new RangeError(`unknown message type ${String((m as { t: unknown }).t)}`);
  }
  return w.finish();
}

/** Decodes one message that spans the whole reader; throws DecodeError on anything invalid. */
export function decodeMessage(r: ByteReader): Message {
  const m = decodeFields(r);
  r.expectEnd(m.t);
  return m;
}

/** Convenience for callers holding the bytes of exactly one message. */
export function decodeMessageBytes(bytes: Uint8Array): Message {
  return decodeMessage(new ByteReader(bytes));
}

function decodeFields(r: ByteReader): Message {
  const code = r.u8('message type');
  switch (code) {
    case 1:
      return { t: 'ping', seq: r.varint('seq'), target: r.string(LIMITS.name, 'target', true) };
    case 2:
      return {
        t: 'ping-req',
        seq: r.varint('seq'),
        target: r.string(LIMITS.name, 'target', true),
        targetAddr: r.string(LIMITS.addr, 'targetAddr'),
      };
    case 3:
      return { t: 'ack', seq: r.varint('seq') };
    case 4:
      return { t: 'nack', seq: r.varint('seq') };
    case 5:
      return {
        t: 'member',
        rumor: readRumor(r),
        member: readMember(r),
        from: r.string(LIMITS.name, 'from', true),
      };
    case 6:
      return {
        t: 'user-event',
        rumor: readRumor(r),
        generation: r.varint('generation'),
        seq: r.varint('seq'),
        name: r.string(LIMITS.eventName, 'event name'),
        payload: r.bytes(LIMITS.payload, 'payload'),
      };
    case 7:
      return { t: 'kv', rumor: readRumor(r), entry: readKv(r) };
    case 8:
      return { t: 'mail', id: r.varint('mail id') };
    case 9:
      return { t: 'mail-ack', id: r.varint('mail id') };
    case 10:
      return {
        t: 'ae-start',
        session: r.varint('session'),
        mode: readEnum(r, AE_MODES, 'mode'),
        root: r.hash64('root'),
        count: r.varint('count'),
      };
    case 11:
      return { t: 'ae-equal', session: r.varint('session') };
    case 12: {
      const session = r.varint('session');
      const nodes: TreeNodeDigest[] = [];
      const n = r.count('tree nodes', MIN_BYTES.treeNode);
      for (let i = 0; i < n; i++) nodes.push(readTreeNode(r));
      return { t: 'ae-tree', session, nodes };
    }
    case 13: {
      const session = r.varint('session');
      const subtrees: Array<{ level: number; index: number }> = [];
      const ns = r.count('subtrees', MIN_BYTES.subtree);
      for (let i = 0; i < ns; i++) subtrees.push({ level: readLevel(r), index: r.varint('index') });
      const keys: KeyDigest[] = [];
      const nk = r.count('keys', MIN_BYTES.keyDigest);
      for (let i = 0; i < nk; i++)
        keys.push({ keyHash: r.hash64('keyHash'), entryHash: r.hash64('entryHash') });
      return { t: 'ae-keys', session, subtrees, keys };
    }
    case 14:
    case 17: {
      const session = r.varint('session');
      const members: MemberRecord[] = [];
      const nm = r.count('members', MIN_BYTES.member);
      for (let i = 0; i < nm; i++) members.push(readMember(r));
      const kv: KvEntry[] = [];
      const nkv = r.count('kv entries', MIN_BYTES.kv);
      for (let i = 0; i < nkv; i++) kv.push(readKv(r));
      if (code === 17) return { t: 'ae-part', session, members, kv };
      const want: Array<readonly [number, number]> = [];
      const nw = r.count('want', MIN_BYTES.hash);
      for (let i = 0; i < nw; i++) want.push(r.hash64('want'));
      return { t: 'ae-entries', session, members, kv, want };
    }
    case 15:
      return readQuery(r, RUMOR);
    case 16:
      return readQueryResponse(r);
    default:
      throw new DecodeError(`unknown message type ${code}`);
  }
}

const RUMOR = { write: writeRumor, read: readRumor };

function writeRumor(w: ByteWriter, rumor: RumorMeta): void {
  w.string(rumor.origin, LIMITS.name, 'origin', true);
  w.varint(rumor.originTime, 'originTime');
  w.u8(rumor.hops, 'hops');
}

function readRumor(r: ByteReader): RumorMeta {
  return {
    origin: r.string(LIMITS.name, 'origin', true),
    originTime: r.varint('originTime'),
    hops: r.u8('hops'),
  };
}

function writeMember(w: ByteWriter, m: MemberRecord): void {
  w.string(m.name, LIMITS.name, 'member name', true);
  w.string(m.addr, LIMITS.addr, 'addr');
  w.varint(m.generation, 'generation');
  w.varint(m.incarnation, 'incarnation');
  w.u8(enumIndex(MEMBER_STATES, m.state, 'state'));
  const keys = Object.keys(m.tags).sort();
  if (keys.length > LIMITS.tagEntries)
    throw new RangeError(`tags: ${keys.length} entries exceeds ${LIMITS.tagEntries}`);
  w.varint(keys.length);
  for (const k of keys) {
    w.string(k, LIMITS.tagKey, 'tag key');
    w.string(m.tags[k]!, LIMITS.tagValue, 'tag value');
  }
}

function readMember(r: ByteReader): MemberRecord {
  const name = r.string(LIMITS.name, 'member name', true);
  const addr = r.string(LIMITS.addr, 'addr');
  const generation = r.varint('generation');
  const incarnation = r.varint('incarnation');
  const state = readEnum(r, MEMBER_STATES, 'state');
  const tags: Record<string, string> = {};
  const n = r.count('tags', MIN_BYTES.tag, LIMITS.tagEntries);
  let previous: string | null = null;
  for (let i = 0; i < n; i++) {
    const key = r.string(LIMITS.tagKey, 'tag key');
    // Strictly ascending keys: one canonical encoding per map, and no duplicates.
    if (previous !== null && !(previous < key)) throw new DecodeError('tags: keys not strictly ascending');
    previous = key;
    const value = r.string(LIMITS.tagValue, 'tag value');
    if (key === '__proto__') {
      // Assignment would replace the prototype; define it as plain data instead.
      Object.defineProperty(tags, key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      tags[key] = value;
    }
  }
  return { name, addr, generation, incarnation, state, tags };
}

function writeKv(w: ByteWriter, e: KvEntry): void {
  w.string(e.key, LIMITS.kvKey, 'kv key');
  // Value as length + 1, with 0 meaning tombstone: null and empty stay distinct at no extra byte.
  if (e.value === null) {
    w.varint(0);
  } else {
    if (e.value.length > LIMITS.payload) {
      throw new RangeError(`kv value: ${e.value.length} bytes exceeds ${LIMITS.payload}`);
    }
    w.varint(e.value.length + 1);
    w.raw(e.value);
  }
  w.varint(e.clock, 'clock');
  w.string(e.writer, LIMITS.name, 'writer', true);
  w.varint(e.at, 'at');
}

function readKv(r: ByteReader): KvEntry {
  const key = r.string(LIMITS.kvKey, 'kv key');
  const tagged = r.varintMax(LIMITS.payload + 1, 'kv value length');
  const value = tagged === 0 ? null : r.raw(tagged - 1, 'kv value');
  return {
    key,
    value,
    clock: r.varint('clock'),
    writer: r.string(LIMITS.name, 'writer', true),
    at: r.varint('at'),
  };
}

function writeTreeNode(w: ByteWriter, n: TreeNodeDigest): void {
  w.u8(treeLevel(n.level), 'level');
  w.varint(n.index, 'index');
  w.hash64(n.hash, 'node hash');
  w.varint(n.count, 'node count');
}

function readTreeNode(r: ByteReader): TreeNodeDigest {
  return {
    level: readLevel(r),
    index: r.varint('index'),
    hash: r.hash64('node hash'),
    count: r.varint('node count'),
  };
}

function treeLevel(level: number): number {
  if (!Number.isInteger(level) || level < 0 || level > LIMITS.treeLevel) {
    throw new RangeError(`level: ${level} is outside 0..${LIMITS.treeLevel}`);
  }
  return level;
}

function readLevel(r: ByteReader): number {
  const level = r.u8('level');
  if (level > LIMITS.treeLevel) throw new DecodeError(`level: ${level} exceeds ${LIMITS.treeLevel}`);
  return level;
}

function enumIndex<T extends string>(values: readonly T[], v: T, what: string): number {
  const i = values.indexOf(v);
  if (i < 0) throw new RangeError(`${what}: unknown value ${String(v)}`);
  return i;
}

function readEnum<T extends string>(r: ByteReader, values: readonly T[], what: string): T {
  const i = r.u8(what);
  const v = values[i];
  if (v === undefined) throw new DecodeError(`${what}: unknown value ${i}`);
  return v;
}
