// A plaintext packet from a node that is not a member ("mallory"), carrying member records as
// rumors: what a forger, a buggy peer or a late holder of old records sends.
import { encodeMessage } from '../../src/agent/wire/message-codec.js';
import type { MemberRecord, Message } from '../../src/agent/wire/messages.js';
import { encodePacket } from '../../src/agent/wire/packet-codec.js';
import type { MemoryCluster } from './memory-cluster.js';

let forgedSeq = 0;

/** The packet mallory (10.9.9.9:7946) sends with `messages`. */
export function forgedPacket(c: MemoryCluster, messages: Message[]): Uint8Array {
  const sender = { name: 'mallory', generation: 1, addr: '10.9.9.9:7946', seq: ++forgedSeq };
  return encodePacket(c.config.cluster, sender, messages.map(encodeMessage), null);
}

export function forgedMemberPacket(c: MemoryCluster, records: MemberRecord[]): Uint8Array {
  return forgedPacket(
    c,
    records.map((member) => ({
      t: 'member',
      rumor: { origin: 'mallory', originTime: Math.floor(c.now), hops: 0 },
      member,
      from: 'mallory',
    })),
  );
}
