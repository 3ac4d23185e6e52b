// The state containers a GossipNode works on, injected as one dependency: the member table, the
// anti-entropy digest tree and the key/value store, plus the view hash of what the member table
// starts with. An agent starts from empty, plain structures; the simulator passes copy-on-write
// stores forked from one shared pre-converged start (sim/shared-start.ts) and keeps references to
// them (to inject divergence, for example).
import type { EngineConfig } from '../config/engine-schema.js';
import { DigestTree } from '../state/digest-tree.js';
import { ZERO_HASH } from '../state/hash64.js';
import { KvStore } from '../state/kv-store.js';
import type { Hash64 } from '../wire/messages.js';
import { type MemberStore, MemberTable } from './member-table.js';

export interface NodeStores {
  readonly members: MemberStore;
  readonly tree: DigestTree;
  readonly kv: KvStore;
  /** The view hash of `members` as handed over (XOR of viewEntryHash over its records). */
  readonly viewHash: Hash64;
}

export function emptyStores(config: Pick<EngineConfig, 'tombstoneTtlMs'>): NodeStores {
  return {
    members: new MemberTable(),
    tree: new DigestTree(),
    kv: new KvStore({ tombstoneTtlMs: config.tombstoneTtlMs }),
    viewHash: ZERO_HASH,
  };
}
