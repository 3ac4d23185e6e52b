// What anti-entropy sees of a node: the digest tree, and the member records and key/value entries
// under its keys. Records an exchange brings are merged by membership and replicated data, the same
// paths rumors take, so there is one merge.
import type { ReplicatedState } from '../state/anti-entropy-session.js';
import type { DigestTree } from '../state/digest-tree.js';
import { parseTreeKey } from '../state/entry-hash.js';
import type { MemberRecord } from '../wire/messages.js';
import type { Membership } from './membership.js';
import type { ReplicatedData } from './replicated-data.js';

export function replicatedState(
  tree: DigestTree,
  membership: Membership,
  data: ReplicatedData,
  /** The peer whose records are being merged, while an exchange applies them. */
  applyingFrom: () => string | undefined,
  /** Whether a record's address may be taken from this peer (source-check.ts); refusals are counted. */
  addrAllowed: (rec: MemberRecord, from: string) => boolean,
): ReplicatedState {
  return {
    tree,
    recordFor: (treeKey) => {
      const key = parseTreeKey(treeKey);
      if (key?.kind === 'member') {
        const e = membership.get(key.name);
        return e ? { kind: 'member', member: e.record } : undefined;
      }
      const entry = key && data.get(key.key);
      return entry ? { kind: 'kv', entry } : undefined;
    },
    apply: (members, kv, now) => {
      let changed = 0;
      const from = applyingFrom();
      for (const rec of members) {
        if (!addrAllowed(rec, from ?? '')) continue;
        if (membership.apply(rec, from ?? rec.name, 'anti-entropy', null, now)) changed++;
      }
      for (const e of kv) if (data.apply(e, null, 'anti-entropy', now, false)) changed++;
      return changed;
    },
  };
}
