// The membership-view digest: XOR of one hash per *live* member (alive or suspect) over (name,
// generation, incarnation, address), kept incrementally. Two agents with equal digests (almost
// surely) agree on who is in the cluster, which process it is, at which address and at which
// version of its record (tags ride on the incarnation). Dead and left members hash to zero: they
// are kept for up to deadReapMs and reach nodes at different times (a joiner learns them later),
// so counting them would show a difference nobody can act on. Suspect counts as alive: a
// suspicion is not a membership change yet, and a refutation raises the incarnation, which shows
// until it has spread. The agent's convergence metric and the operator compare these digests.
import { hashString, ZERO_HASH } from '../state/hash64.js';
import type { Hash64, MemberRecord } from '../wire/messages.js';

export function viewEntryHash(r: MemberRecord): Hash64 {
  if (r.state === 'dead' || r.state === 'left') return ZERO_HASH;
  return hashString(`${r.name}\u0000${r.generation}\u0000${r.incarnation}\u0000${r.addr}`);
}
