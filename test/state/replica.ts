// A plain in-memory ReplicatedState for the tests: a KvStore, a member map and a DigestTree kept in
// sync, plus a driver that runs one anti-entropy exchange between two of them through the real codec.
import {
  AntiEntropy,
  type AntiEntropyOptions,
  type ReplicatedRecord,
  type ReplicatedState,
} from '../../src/agent/state/anti-entropy-session.js';
import { DigestTree } from '../../src/agent/state/digest-tree.js';
import {
  hashKvEntry,
  hashMemberRecord,
  kvKey,
  memberKey,
  parseTreeKey,
} from '../../src/agent/state/entry-hash.js';
import { KvStore } from '../../src/agent/state/kv-store.js';
import { newerMember } from '../../src/agent/state/member-merge.js';
import { decodeMessageBytes, encodeMessage } from '../../src/agent/wire/message-codec.js';
import type { AntiEntropyMode, KvEntry, MemberRecord, Message } from '../../src/agent/wire/messages.js';

export class Replica implements ReplicatedState {
  readonly tree: DigestTree;
  readonly kv: KvStore;
  readonly members = new Map<string, MemberRecord>();

  constructor(tombstoneTtlMs = 1e12) {
    const tree = new DigestTree();
    this.tree = tree;
    this.kv = new KvStore({
      tombstoneTtlMs,
      onChange: (key, e) => (e ? tree.set(kvKey(key), hashKvEntry(e)) : tree.delete(kvKey(key))),
    });
  }

  setMember(r: MemberRecord): boolean {
    const current = this.members.get(r.name);
    const merged = current ? newerMember(current, r) : r;
    if (merged === current) return false;
    this.members.set(r.name, merged);
    this.tree.set(memberKey(r.name), hashMemberRecord(merged));
    return true;
  }

  recordFor(treeKey: string): ReplicatedRecord | undefined {
    const k = parseTreeKey(treeKey);
    if (k?.kind === 'member') {
      const member = this.members.get(k.name);
      return member && { kind: 'member', member };
    }
    if (k?.kind === 'kv') {
      const entry = this.kv.get(k.key);
      return entry && { kind: 'kv', entry };
    }
    return undefined;
  }

  apply(members: MemberRecord[], kv: KvEntry[], now: number): number {
    let changed = 0;
    for (const m of members) if (this.setMember(m)) changed++;
    for (const e of kv) if (this.kv.apply(e, now) === 'applied') changed++;
    return changed;
  }

  /** Every record, sorted, for whole-state comparisons. */
  snapshot(): { members: MemberRecord[]; kv: KvEntry[] } {
    return {
      members: [...this.members.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
      kv: [...this.kv.entries()].sort((a, b) => (a.key < b.key ? -1 : 1)),
    };
  }
}

/** Per-message packet overhead assumed when counting exchange bytes (header, sender, framing). */
export const PACKET_OVERHEAD = 40;

export interface ExchangeLog {
  /** Every message as decoded by its receiver, in order, with who sent it. */
  messages: Array<{ from: 'initiator' | 'responder'; message: Message; bytes: number }>;
  bytes: number;
  appliedByInitiator: number;
  appliedByResponder: number;
  initiatorEqual: boolean;
  /** Sessions still open after the exchange (0 when both sides finished). */
  openSessions: number;
  /** The largest packet (one turn's batch, or one part), with PACKET_OVERHEAD. */
  largestPacket: number;
}

/** Runs one exchange initiated by a, encoding and decoding every message with the real codec. */
export function exchange(
  a: Replica,
  b: Replica,
  mode: AntiEntropyMode,
  now = 1_000,
  options: Omit<AntiEntropyOptions, 'timeoutMs'> = {},
): ExchangeLog {
  const ia = new AntiEntropy(a, { timeoutMs: 10_000, ...options });
  const rb = new AntiEntropy(b, { timeoutMs: 10_000, ...options });
  const log: ExchangeLog = {
    messages: [],
    bytes: 0,
    appliedByInitiator: 0,
    appliedByResponder: 0,
    initiatorEqual: false,
    openSessions: 0,
    largestPacket: 0,
  };
  let parts: Message[] = [];
  let batch: Message[] = [ia.start('b', 7, mode, now)];
  let from: 'initiator' | 'responder' = 'initiator';
  for (let turn = 0; batch.length > 0; turn++) {
    if (turn > 40) throw new Error('exchange did not terminate');
    const receiver = from === 'initiator' ? rb : ia;
    // Each part is a packet of its own, handled (and applied) before the packet that ends the turn.
    for (const packet of [...parts.map((p) => [p]), batch]) {
      const decoded = packet.map((m) => {
        const bytes = encodeMessage(m);
        log.messages.push({ from, message: decodeMessageBytes(bytes), bytes: bytes.length });
        log.bytes += bytes.length + PACKET_OVERHEAD;
        log.largestPacket = Math.max(log.largestPacket, bytes.length + PACKET_OVERHEAD);
        return decodeMessageBytes(bytes);
      });
      const outcomes = receiver.handle(from === 'initiator' ? 'a' : 'b', decoded, now);
      if (outcomes.length > 1) throw new Error('one session expected');
      const o = outcomes[0];
      if (o && from === 'initiator') log.appliedByResponder += o.applied;
      if (o && from === 'responder') {
        log.appliedByInitiator += o.applied;
        log.initiatorEqual = o.equal;
      }
      if (packet !== batch) {
        if (o === undefined || o.done || o.messages.length > 0)
          throw new Error('a part must not end or answer');
        continue;
      }
      parts = o?.parts ?? [];
      batch = o?.messages ?? [];
    }
    from = from === 'initiator' ? 'responder' : 'initiator';
  }
  log.openSessions = ia.activeSessions + rb.activeSessions;
  return log;
}

export function member(name: string, incarnation = 0, state: MemberRecord['state'] = 'alive'): MemberRecord {
  return {
    name,
    addr: `10.0.0.1:${7946}`,
    generation: 1_700_000_000_000,
    incarnation,
    state,
    tags: { zone: 'a' },
  };
}

export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
