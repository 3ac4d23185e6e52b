// Divergence for anti-entropy to repair: writes a key/value entry straight into a node's stores,
// as if every rumor about it had been lost (no rumor, no direct mail). The simulator, the
// anti-entropy bench and tests hold the stores they gave the node, so no core API is needed.
import type { NodeStores } from '../core/node-stores.js';
import type { CoreEvent } from '../core/types.js';
import { hashKvEntry, kvKey } from '../state/entry-hash.js';
import type { KvEntry } from '../wire/messages.js';

/**
 * Applies `entry` (last writer wins) to the key/value store and the digest tree; returns whether it
 * changed anything. `event` hears the same 'kv' event the node emits for a local write.
 */
export function injectDivergentKv(
  stores: NodeStores,
  entry: KvEntry,
  now: number,
  event?: (e: CoreEvent) => void,
): boolean {
  if (stores.kv.apply(entry, now) !== 'applied') return false;
  const stored = stores.kv.get(entry.key)!;
  stores.tree.set(kvKey(entry.key), hashKvEntry(stored));
  event?.({
    type: 'kv',
    key: entry.key,
    value: entry.value,
    writer: entry.writer,
    via: 'local',
    rumor: null,
  });
  return true;
}
