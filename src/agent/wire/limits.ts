// Size limits enforced by the codec on both encode and decode, so a peer can never make us allocate
// more than these for one field, and we never emit what a peer would reject.

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
  hops: 255,
  treeLevel: 8,
} as const;
