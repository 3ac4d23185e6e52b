import type { Addr, Channel } from '../base/types.js';

export type { Channel };

export type ReceiveHandler = (from: Addr, bytes: Uint8Array, channel: Channel) => void;
export type PeerClosedHandler = (to: Addr) => void;

/** One interface for UDP+TCP, and the in-memory network of the tests and simulator. */
export interface Transport {
  /** The address peers reach this node on (resolved after bind, e.g. port 0 → real port). */
  readonly localAddr: Addr;
  onReceive(handler: ReceiveHandler): void;
  /** Never throws for a network failure; reports it via onSendError where the transport can tell. */
  send(to: Addr, bytes: Uint8Array, channel: Channel): void;
  /** Stream sends that could not be delivered (connection refused, reset, timeout). */
  onSendError(handler: (to: Addr, channel: Channel, error: Error) => void): void;
  /**
   * A peer closed (or reset) a stream connection we held open to `to` — a hint that its process may
   * be gone. Transports without connections (the in-memory network) have no such signal.
   */
  onPeerClosed?(handler: PeerClosedHandler): void;
  close(): Promise<void>;
}
