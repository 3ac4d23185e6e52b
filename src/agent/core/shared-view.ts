// One immutable starting state shared by many simulated nodes (members, key/values, digest tree),
// so that forking it per node costs O(1) and a node stores only its own changes.
import { DigestTree } from '../state/digest-tree.js';
import { hashKvEntry, hashMemberRecord, kvKey, memberKey } from '../state/entry-hash.js';
import { xorHash, ZERO_HASH } from '../state/hash64.js';
import { KvStore } from '../state/kv-store.js';
import type { Hash64, KvEntry, MemberRecord } from '../wire/messages.js';
import { type SharedMembers, shareMembers } from './member-table.js';
import { viewEntryHash } from './view-hash.js';

export interface SharedView {
  readonly members: SharedMembers;
  readonly tree: DigestTree;
  readonly kv: KvStore;
  readonly viewHash: Hash64;
}

export function createSharedView(
  members: readonly MemberRecord[],
  kv: readonly KvEntry[] = [],
  tombstoneTtlMs = 86_400_000,
): SharedView {
  const tree = new DigestTree();
  let viewHash = ZERO_HASH;
  for (const m of members) {
    tree.set(memberKey(m.name), hashMemberRecord(m));
    viewHash = xorHash(viewHash, viewEntryHash(m));
  }
  const store = new KvStore({ tombstoneTtlMs });
  for (const e of kv) {
    store.apply(e, e.at);
    tree.set(kvKey(e.key), hashKvEntry(e));
  }
  return { members: shareMembers(members), tree, kv: store, viewHash };
}
