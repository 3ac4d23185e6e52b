// Canonical keys and content hashes of replicated records. Two nodes holding equal records must
// compute equal hashes, and any replicated field difference must change the hash, because the
// anti-entropy digest compares nothing else.
import type { Hash64, KvEntry, MemberRecord } from '../wire/messages.js';
import { Hasher64 } from './hash64.js';

/** Digest-tree key of a member record. */
export function memberKey(name: string): string {
  return `m:${name}`;
}

/** Digest-tree key of a key/value entry. */
export function kvKey(key: string): string {
  return `k:${key}`;
}

export type TreeKey = { kind: 'member'; name: string } | { kind: 'kv'; key: string };

/** Inverse of memberKey/kvKey; undefined for a string that is neither. */
export function parseTreeKey(treeKey: string): TreeKey | undefined {
  if (treeKey.startsWith('m:')) return { kind: 'member', name: treeKey.slice(2) };
  if (treeKey.startsWith('k:')) return { kind: 'kv', key: treeKey.slice(2) };
  return undefined;
}

const STATE_RANK = { alive: 0, suspect: 1, dead: 2, left: 3 } as const;
// Domain tags keep a member and a kv entry from ever hashing alike.
const MEMBER_TAG = 0x6d656d31;
const KV_TAG = 0x6b766531;

const hasher = new Hasher64();

export function hashMemberRecord(r: MemberRecord): Hash64 {
  const h = hasher.reset().uint32(MEMBER_TAG).string(r.name).string(r.addr);
  h.number(r.generation).number(r.incarnation).uint32(STATE_RANK[r.state]);
  const tagKeys = Object.keys(r.tags).sort();
  h.uint32(tagKeys.length);
  for (const k of tagKeys) h.string(k).string(r.tags[k]!);
  return h.digest();
}

export function hashKvEntry(e: KvEntry): Hash64 {
  const h = hasher.reset().uint32(KV_TAG).string(e.key);
  if (e.value === null) h.uint32(0);
  else h.uint32(1).bytes(e.value);
  return h.number(e.clock).string(e.writer).number(e.at).digest();
}
