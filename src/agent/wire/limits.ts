// Size limits enforced by the codec on both encode and decode, so a peer can never make us allocate
// more than these for one field, and we never emit what a peer would reject. The config schema
// (tags), the HTTP API and the key/value store read the same numbers (see limits-check.ts), so a
// value the codec would refuse is refused before anything changes.

export const LIMITS = {
  /** Node names (member, origin, writer, ping target, packet sender). Also non-empty. */
  name: 128,
  addr: 80,
  cluster: 64,
  tagEntries: 64,
  tagKey: 128,
  tagValue: 512,
  eventName: 128,
  /** User event payloads and key/value values. */
  payload: 65_536,
  kvKey: 256,
  /**
   * Highest key/value Lamport clock accepted or written. Far above anything reachable by counting
   * writes (2^48: ~9 years at a million writes a second), yet clock + 1 always stays encodable,
   * so a peer's huge clock can never leave us unable to write.
   */
  kvClock: 2 ** 48,
  hops: 255,
  /** Node names a query may be addressed to. */
  queryNodes: 64,
  /** Tag filters of one query, and the bytes of one pattern. */
  queryTags: 16,
  queryPattern: 256,
  /** Longest query timeout (one hour is already far beyond what the origin keeps waiting for). */
  queryTimeoutMs: 3_600_000,
  treeLevel: 8,
} as const;
