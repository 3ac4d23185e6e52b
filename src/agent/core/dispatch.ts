// Routing inside one node: a decoded packet's messages and a due timer go to the module that owns
// them. Kept apart from the facade so that the facade is only the public API.
import type { Channel } from '../base/types.js';
import type { Message, PacketSender } from '../wire/messages.js';
import type { Timer } from './deadlines.js';
import { MAINTENANCE_MS, type NodeParts } from './node-parts.js';
import type { Via } from './types.js';

/** One packet from the transport. */
export function receivePacket(p: NodeParts, bytes: Uint8Array, channel: Channel, now: number): void {
  const inbound = p.io.decode(bytes, channel);
  if (!inbound) return;
  const { sender, messages } = inbound;
  const via: Via = messages[0]?.t === 'mail' ? 'mail' : 'rumor';
  let antiEntropy = false;
  for (const m of messages) {
    if (m.t.startsWith('ae-')) antiEntropy = true;
    else handleMessage(p, m, sender, via, channel, now);
  }
  if (antiEntropy) p.antiEntropy.onPacket(messages, sender, bytes.length, now);
}

function handleMessage(
  p: NodeParts,
  m: Message,
  sender: PacketSender,
  via: Via,
  channel: Channel,
  now: number,
): void {
  switch (m.t) {
    case 'ping':
      p.prober.answerPing(m.seq, m.target, sender.addr, channel);
      return;
    case 'ping-req':
      p.prober.relay(m.seq, m.target, m.targetAddr, sender.addr, now);
      return;
    case 'ack':
      p.prober.onAck(m.seq, now);
      return;
    case 'nack':
      p.prober.onNack(m.seq);
      return;
    case 'member':
      p.membership.apply(m.member, m.from, via, { ...m.rumor, hops: m.rumor.hops + 1 }, now);
      return;
    case 'user-event':
      p.data.onUserEvent(m, via, now);
      return;
    case 'kv':
      p.data.apply(m.entry, { ...m.rumor, hops: m.rumor.hops + 1 }, via, now, true);
      return;
    case 'query':
      p.queries.onQuery(m, via, now);
      return;
    case 'query-response':
      p.queries.onResponse(m, sender.name, now);
      return;
    case 'mail':
      p.dissemination.onMail(m.id, sender.addr);
      return;
    case 'mail-ack':
      p.dissemination.mailAcked(sender.name, m.id);
      return;
    default:
      return;
  }
}

/** A timer from the heap is due. */
export function fireTimer(p: NodeParts, t: Timer, now: number): void {
  switch (t.kind) {
    case 'probe':
      p.prober.tick(now);
      return;
    case 'gossip':
      p.dissemination.gossip(now);
      return;
    case 'suspicion':
      p.membership.suspicionExpired(t.name, now);
      return;
    case 'mail':
      p.dissemination.retryMail(t.key, now);
      return;
    case 'anti-entropy':
      p.antiEntropy.onTimer(now);
      return;
    case 'query':
      p.queries.onTimer(t.seq, now);
      return;
    case 'reconnect':
      p.antiEntropy.reconnect(now);
      return;
    case 'maintain':
      if (now < p.maintenance.nextAt) return;
      p.maintenance.nextAt = now + MAINTENANCE_MS;
      p.timers.schedule(p.maintenance.nextAt, { kind: 'maintain' });
      p.membership.reap(now);
      p.data.expire(now);
      p.queries.expire(now);
      p.antiEntropy.expire(now);
      return;
  }
}
