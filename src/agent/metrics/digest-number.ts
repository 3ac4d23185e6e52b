// The view digest as a number, so PromQL can compare agents: count(count_values("d", grapevine_view_digest))
// is 1 exactly when all agents hold the same view. 48 bits keep it exact in a float64 sample.
import { hashString } from '../state/hash64.js';

const PAIR = /^(\d+):(\d+)$/;

export function digestNumber(digest: string): number {
  // GossipNode digests are two uint32 halves "hi:lo"; any other form is hashed to such a pair.
  const m = PAIR.exec(digest);
  const [hi, lo] = m ? [Number(m[1]), Number(m[2])] : hashString(digest);
  // hi and the top 16 bits of lo.
  return (hi >>> 0) * 65_536 + ((lo >>> 0) >>> 16);
}
