// force-leave (Serf's `force-leave`): an operator marks a failed member `left`, so it is reaped
// after deadReapMs instead of lingering as dead (and being contacted by partition healing) and so
// its name reads as gone on purpose. Pure: decides from our own name and the member's record.
//
// The left record keeps the dead record's version (generation, incarnation): `left` outranks
// `dead` at an equal version, so it wins everywhere the death is known, while the member itself, if
// it is in fact alive, refutes it like any record about itself (a higher incarnation), and a
// restart under the same name (a newer generation) is news as always.
import type { MemberRecord } from '../wire/messages.js';

export type ForceLeaveRefusal = 'self' | 'unknown' | 'alive' | 'suspect';

export type ForceLeaveDecision =
  | { ok: true; record: MemberRecord; previous: 'dead' | 'left' }
  | { ok: false; reason: ForceLeaveRefusal; message: string };

export function forceLeaveDecision(
  self: string,
  name: string,
  current: MemberRecord | undefined,
): ForceLeaveDecision {
  if (name === self)
    return {
      ok: false,
      reason: 'self',
      message: `'${name}' is this agent: use 'grapevine leave' to leave gracefully`,
    };
  if (!current)
    return { ok: false, reason: 'unknown', message: `no member named '${name}' in this agent's view` };
  switch (current.state) {
    case 'alive':
      return {
        ok: false,
        reason: 'alive',
        message: `'${name}' is alive: only a failed (dead) member can be forced to leave; stop it with 'grapevine leave' on its host`,
      };
    case 'suspect':
      return {
        ok: false,
        reason: 'suspect',
        message: `'${name}' is suspect, not yet failed: wait until it is declared dead (or refutes), then try again`,
      };
    case 'left':
      return { ok: true, record: current, previous: 'left' };
    case 'dead':
      return { ok: true, record: { ...current, state: 'left' }, previous: 'dead' };
  }
}
