// The membership-view digest: XOR of one hash per member over (name, generation, incarnation,
// state), kept incrementally. Two agents with equal digests (almost surely) see the same view —
// the agent's convergence metric compares these across nodes.
import { hashString } from '../state/hash64.js';
import type { Hash64, MemberRecord } from '../wire/messages.js';

export function viewEntryHash(r: MemberRecord): Hash64 {
  return hashString(`${r.name}\u0000${r.generation}\u0000${r.incarnation}\u0000${r.state}`);
}
