// The leaf of the agent's module graph: plain types that every layer (wire, state, transport, core,
// runtime, sim) shares. It imports nothing, so no two folders need to import each other for them.

/** A peer's advertised address, `host:port`. */
export type Addr = string;

/** datagram: unreliable, at most maxPacketBytes. stream: reliable and ordered per peer, large payloads. */
export type Channel = 'datagram' | 'stream';

/** Seeded randomness, injected so the core is deterministic under test and in the simulator. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

/** Why an inbound packet (or a record inside one) was dropped; each has its own counter. */
export type DropReason =
  | 'malformed'
  | 'foreign-cluster'
  | 'bad-key'
  | 'oversize'
  | 'replay'
  | 'unsupported-version'
  /** A record (member, key/value, or a user event's origin) with a name, address or counter outside sane bounds. */
  | 'bad-record'
  /**
   * Plaintext only: an address this node would send to that the packet's source does not vouch for
   * (the claimed sender host is not the stream's source host, a record about the sender itself names
   * another host, a ping-req names a target not known at that address). See core/source-check.ts.
   */
  | 'unverified-addr';
