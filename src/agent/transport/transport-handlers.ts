// The receive and send-error handlers of a transport, and their dispatch. Socket transports pass
// `onHandlerError` so a throwing handler cannot take the socket down; the in-memory network passes
// nothing, so a bug in a handler surfaces in the test or simulation that caused it.
import type { Addr } from '../wire/messages.js';
import type { Channel, PeerClosedHandler, ReceiveHandler } from './transport.js';

export type SendErrorHandler = (to: Addr, channel: Channel, error: Error) => void;

/** The peer's host answered that nothing listens on the port (TCP reset to our SYN). */
export function isConnectionRefused(error: Error): boolean {
  return (error as NodeJS.ErrnoException).code === 'ECONNREFUSED';
}

export class TransportHandlers {
  private readonly receivers: ReceiveHandler[] = [];
  private readonly sendErrorHandlers: SendErrorHandler[] = [];
  private readonly peerClosedHandlers: PeerClosedHandler[] = [];

  constructor(private readonly onHandlerError?: (error: Error) => void) {}

  /** Adds a receive handler (handlers accumulate; none replaces another). */
  onReceive(handler: ReceiveHandler): void {
    this.receivers.push(handler);
  }

  onSendError(handler: SendErrorHandler): void {
    this.sendErrorHandlers.push(handler);
  }

  onPeerClosed(handler: PeerClosedHandler): void {
    this.peerClosedHandlers.push(handler);
  }

  received(from: Addr, bytes: Uint8Array, channel: Channel): void {
    for (const receive of this.receivers) this.guard(() => receive(from, bytes, channel));
  }

  sendFailed(to: Addr, channel: Channel, error: Error): void {
    for (const handler of this.sendErrorHandlers) this.guard(() => handler(to, channel, error));
  }

  peerClosed(to: Addr): void {
    for (const handler of this.peerClosedHandlers) this.guard(() => handler(to));
  }

  private guard(call: () => void): void {
    if (!this.onHandlerError) {
      call();
      return;
    }
    try {
      call();
    } catch (err) {
      this.onHandlerError(err as Error);
    }
  }
}
