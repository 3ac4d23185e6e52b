// Every message the protocol speaks. The codec (message-codec.ts) is the only place that knows
// their byte layout; everything else works with these plain objects.

import type { Addr } from '../base/types.js';

/** A transport address, "host:port" (IPv6 hosts in brackets); defined in the leaf module. */
export type { Addr };

export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';
export const MEMBER_STATES: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left'];

/** A 64-bit hash as two unsigned 32-bit lanes (XOR-able without BigInt). */
export type Hash64 = readonly [hi: number, lo: number];

/** Carried by every rumor so receivers can measure infection spread. */
export interface RumorMeta {
  /** Node that created the rumor. */
  origin: string;
  /** Wall-clock milliseconds at the origin when the rumor was created. */
  originTime: number;
  /** Relays between the origin and this copy (0 = straight from the origin). */
  hops: number;
}

/**
 * What the cluster knows about one member. Versions order as (generation, incarnation, state rank):
 * generation is the member's start stamp, so a restarted node (same name, maybe a new address) is newer.
 */
export interface MemberRecord {
  name: string;
  addr: Addr;
  generation: number;
  incarnation: number;
  state: MemberState;
  tags: Record<string, string>;
}

/** One key of the replicated map; value null is a tombstone. Last writer wins by (clock, writer). */
export interface KvEntry {
  key: string;
  value: Uint8Array | null;
  /** Lamport clock of the write. */
  clock: number;
  /** Name of the node that wrote it (tie-break). */
  writer: string;
  /** Wall-clock ms of the write at the writer; tombstones expire relative to it. */
  at: number;
}

export type AntiEntropyMode = 'push' | 'pull' | 'push-pull';

/** A node of the anti-entropy digest tree (level 0 is the root). */
export interface TreeNodeDigest {
  level: number;
  index: number;
  hash: Hash64;
  count: number;
}

export interface KeyDigest {
  keyHash: Hash64;
  entryHash: Hash64;
}

/**
 * Who must answer a query: every listed node name (any node when empty) whose tags match every
 * pattern (anchored regular expressions; a missing tag never matches). Tag filters are sorted by key.
 */
export interface QueryFilters {
  nodes: string[];
  tags: Array<{ key: string; pattern: string }>;
}

export type Message =
  // Failure detection (SWIM + Lifeguard)
  | { t: 'ping'; seq: number; target: string }
  | { t: 'ping-req'; seq: number; target: string; targetAddr: Addr }
  | { t: 'ack'; seq: number }
  | { t: 'nack'; seq: number }
  // Rumors
  | { t: 'member'; rumor: RumorMeta; member: MemberRecord; from: string }
  | { t: 'user-event'; rumor: RumorMeta; generation: number; seq: number; name: string; payload: Uint8Array }
  | { t: 'kv'; rumor: RumorMeta; entry: KvEntry }
  // Queries: spread like user events; answers (acks and responses) go straight to the origin by UDP.
  | {
      t: 'query';
      rumor: RumorMeta;
      /** (origin, generation, seq) names the query, as for user events. */
      generation: number;
      seq: number;
      /** Where answers go: the origin's advertised gossip address. */
      originAddr: Addr;
      /** How long the origin waits, relative (clocks differ between nodes). */
      timeoutMs: number;
      /** Ask every member that passes the filters to acknowledge at once. */
      ack: boolean;
      filters: QueryFilters;
      name: string;
      payload: Uint8Array;
    }
  | { t: 'query-response'; generation: number; seq: number; ack: boolean; payload: Uint8Array }
  // Direct mail: a packet that starts with 'mail' asks the receiver to answer 'mail-ack'
  | { t: 'mail'; id: number }
  | { t: 'mail-ack'; id: number }
  // Anti-entropy (digest first; entries only for what differs)
  | { t: 'ae-start'; session: number; mode: AntiEntropyMode; root: Hash64; count: number }
  | { t: 'ae-equal'; session: number }
  | { t: 'ae-tree'; session: number; nodes: TreeNodeDigest[] }
  | { t: 'ae-keys'; session: number; subtrees: Array<{ level: number; index: number }>; keys: KeyDigest[] }
  | {
      t: 'ae-entries';
      session: number;
      members: MemberRecord[];
      kv: KvEntry[];
      /** Key hashes the sender wants the receiver to send back (empty when done). */
      want: Hash64[];
    }
  /**
   * Records of a turn too large for one packet: sent alone, one packet each, before the packet that
   * ends the turn (whose ae-entries carries the last records and `want`). Never answered.
   */
  | { t: 'ae-part'; session: number; members: MemberRecord[]; kv: KvEntry[] };

export type MessageType = Message['t'];

/** What precedes the messages of every packet (inside the encryption when it is on). */
export interface PacketSender {
  name: string;
  generation: number;
  /** The sender's advertised gossip address (stream sources are ephemeral ports). */
  addr: Addr;
  /** Per-(name, generation) packet counter for replay detection. */
  seq: number;
}

export interface Packet {
  cluster: string;
  sender: PacketSender;
  messages: Message[];
}
