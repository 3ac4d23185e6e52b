// The simulator's pre-converged start: one immutable snapshot of members, key/values and their digest
// tree, shared by every simulated node. stores() forks it copy-on-write for one node, so forking
// costs O(1) (O(tombstones) for the key/value store) and a node stores only its own changes.
import type { EngineConfig } from '../config/engine-schema.js';
import type { NodeStores } from '../core/node-stores.js';
import { viewEntryHash } from '../core/view-hash.js';
import { hashKvEntry, hashMemberRecord, kvKey, memberKey } from '../state/entry-hash.js';
import { xorHash, ZERO_HASH } from '../state/hash64.js';
import type { Hash64, KvEntry, MemberRecord } from '../wire/messages.js';
import { ForkableDigestTree } from './cow-digest-tree.js';
import { ForkableKvStore } from './cow-kv-store.js';
import { type SharedMembers, SharedMemberTable, shareMembers } from './shared-member-table.js';

export class SharedStart {
  private readonly members: SharedMembers;
  private readonly tree = new ForkableDigestTree();
  private readonly kv: ForkableKvStore;
  private readonly viewHash: Hash64;

  constructor(members: readonly MemberRecord[], kv: readonly KvEntry[] = [], tombstoneTtlMs = 86_400_000) {
    let viewHash = ZERO_HASH;
    for (const m of members) {
      this.tree.set(memberKey(m.name), hashMemberRecord(m));
      viewHash = xorHash(viewHash, viewEntryHash(m));
    }
    this.kv = new ForkableKvStore({ tombstoneTtlMs });
    for (const e of kv) {
      this.kv.apply(e, e.at);
      this.tree.set(kvKey(e.key), hashKvEntry(e));
    }
    this.members = shareMembers(members);
    this.viewHash = viewHash;
  }

  /** One node's stores: the shared start, copy-on-write. */
  stores(config: Pick<EngineConfig, 'tombstoneTtlMs'>): NodeStores {
    return {
      members: new SharedMemberTable(this.members),
      tree: this.tree.fork(),
      kv: this.kv.fork({ tombstoneTtlMs: config.tombstoneTtlMs }),
      viewHash: this.viewHash,
    };
  }
}
