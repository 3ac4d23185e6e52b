// Routing inside one node: a decoded packet's messages and a due timer go to the module that owns
// them. Kept apart from the facade so that the facade is only the public API.
import type { Channel } from '../base/types.js';
import type { Addr, MemberRecord, Message, PacketSender } from '../wire/messages.js';
import type { Timer } from './deadlines.js';
import { MAINTENANCE_MS, MAINTENANCE_SLACK_MS, type NodeParts } from './node-parts.js';
import { relayed } from './record-bounds.js';
import { claimMatchesSource, memberAddrAllowed } from './source-check.js';
import type { Via } from './types.js';

/**
 * One packet from the transport, sent from `from`. Datagrams are answered at `from`; a stream's
 * source port is ephemeral, so stream answers go to the address inside the packet, which without a
 * keyring must be on the stream's source host (see source-check.ts).
 */
export function receivePacket(
  p: NodeParts,
  from: Addr,
  bytes: Uint8Array,
  channel: Channel,
  now: number,
): void {
  const inbound = p.io.decode(bytes, channel);
  if (!inbound) return;
  const { sender, messages } = inbound;
  if (channel === 'stream' && !p.io.encrypted && !claimMatchesSource(sender.addr, from)) {
    p.io.drop('unverified-addr');
    return;
  }
  const via: Via = messages[0]?.t === 'mail' ? 'mail' : 'rumor';
  const replyTo = channel === 'datagram' ? from : sender.addr;
  let antiEntropy = false;
  for (const m of messages) {
    if (m.t.startsWith('ae-')) antiEntropy = true;
    else handleMessage(p, m, sender, via, channel, replyTo, now);
  }
  // Anti-entropy runs on streams only; a datagram carrying ae-* (forged) could aim a stream answer.
  if (antiEntropy && channel === 'stream') p.antiEntropy.onPacket(messages, sender, bytes.length, now);
}

/** Whether a member record's address may be taken (see memberAddrAllowed); a refusal is counted. */
export function memberAddrChecked(
  p: NodeParts,
  r: MemberRecord,
  sender: string,
  source: Addr | undefined,
): boolean {
  const ok = memberAddrAllowed(p.io.encrypted, r, sender, source);
  if (!ok) p.io.drop('unverified-addr');
  return ok;
}

/** `replyTo`: a datagram's source address, or the stream sender's (checked) address. */
function handleMessage(
  p: NodeParts,
  m: Message,
  sender: PacketSender,
  via: Via,
  channel: Channel,
  replyTo: Addr,
  now: number,
): void {
  switch (m.t) {
    case 'ping':
      p.prober.answerPing(m.seq, m.target, replyTo, channel);
      return;
    case 'ping-req':
      // Without a keyring, probe only a member we know at that address (no probes aimed elsewhere).
      if (!p.io.encrypted && p.membership.get(m.target)?.record.addr !== m.targetAddr) {
        p.io.drop('unverified-addr');
        return;
      }
      p.prober.relay(m.seq, m.target, m.targetAddr, replyTo, now);
      return;
    case 'ack':
      p.prober.onAck(m.seq, now);
      return;
    case 'nack':
      p.prober.onNack(m.seq);
      return;
    case 'member':
      if (!memberAddrChecked(p, m.member, sender.name, replyTo)) return;
      p.membership.apply(m.member, m.from, via, relayed(m.rumor), now);
      return;
    case 'user-event':
      p.data.onUserEvent(m, via, now);
      return;
    case 'kv':
      p.data.apply(m.entry, relayed(m.rumor), via, now, true);
      return;
    case 'query':
      p.queries.onQuery(m, via, now);
      return;
    case 'query-response':
      p.queries.onResponse(m, sender.name, now);
      return;
    case 'mail':
      p.dissemination.onMail(m.id, replyTo);
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
      if (now >= p.maintenance.latestAt) maintain(p, now);
      return;
  }
}

/**
 * Whether firing `t` at `at` could do anything, given the node's state now. A timer whose module
 * has moved its deadline past `at` (an acknowledged probe, a mail acknowledged, maintenance already
 * done) is stale, and is dropped instead of waking the process. Every module schedules a new timer
 * whenever it sets an earlier deadline, so dropping a stale one never loses a deadline. Kinds not
 * listed are always live (firing them early is cheap and rare).
 */
export function timerLive(p: NodeParts, t: Timer, at: number): boolean {
  switch (t.kind) {
    case 'probe':
      return p.prober.nextDeadline() <= at;
    case 'gossip':
      return p.dissemination.gossipDueAt <= at;
    case 'mail':
      return p.dissemination.mailDueAt(t.key) <= at;
    case 'maintain':
      return p.maintenance.latestAt <= at;
    default:
      return true;
  }
}

/**
 * Maintenance (reaping, expiries) needs no timing of its own: each expiry it runs may be late by up
 * to one run's spacing anyway. So a tick that is awake anyway runs it once it is in its window
 * (MAINTENANCE_MS ± MAINTENANCE_SLACK_MS after the last run), and the 'maintain' timer at the end of
 * the window rarely fires: with a probe interval up to 1 s there is a probe tick in every window, so
 * a steady node wakes once per probe instead of once more a second for maintenance.
 */
export function maintainIfNearlyDue(p: NodeParts, now: number): void {
  if (now >= p.maintenance.earliestAt) maintain(p, now);
}

function maintain(p: NodeParts, now: number): void {
  p.maintenance.earliestAt = now + MAINTENANCE_MS - MAINTENANCE_SLACK_MS;
  p.maintenance.latestAt = now + MAINTENANCE_MS + MAINTENANCE_SLACK_MS;
  p.timers.schedule(p.maintenance.latestAt, { kind: 'maintain' });
  p.membership.reap(now);
  p.data.expire(now);
  p.queries.expire(now);
  p.antiEntropy.expire(now);
}
