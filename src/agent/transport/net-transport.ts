import { formatAddr, parseAddr } from '../../net/address.js';
import type { Addr } from '../wire/messages.js';
import { type StreamErrorContext, StreamTransport, type StreamTransportOptions } from './stream-transport.js';
import type { Channel, PeerClosedHandler, ReceiveHandler, Transport } from './transport.js';
import { type UdpErrorContext, UdpTransport } from './udp-transport.js';

export interface NetTransportOptions extends Omit<StreamTransportOptions, 'onError'> {
  /** Largest datagram sent; larger ones are dropped and reported (send them on 'stream'). */
  maxDatagramBytes: number;
  /** Attempts at finding a port free for both protocols when binding port 0. Default 5. */
  bindAttempts?: number;
  onError?: (error: Error, context: `udp-${UdpErrorContext}` | `stream-${StreamErrorContext}`) => void;
}

/** UDP for 'datagram' and TCP for 'stream' on the same host:port, as memberlist does. */
export class NetTransport implements Transport {
  private constructor(
    readonly udp: UdpTransport,
    readonly stream: StreamTransport,
    readonly localAddr: Addr,
  ) {}

  /**
   * Binds TCP then UDP on "host:port". With port 0 the TCP port is chosen by the OS and UDP takes the
   * same number; if another socket already holds it for UDP, both are released and it tries again.
   */
  static async bind(bindAddr: string, opts: NetTransportOptions): Promise<NetTransport> {
    const { host, port } = parseAddr(bindAddr);
    const attempts = port === 0 ? (opts.bindAttempts ?? 5) : 1;
    const { onError, advertise, maxDatagramBytes, bindAttempts: _attempts, ...streamOpts } = opts;
    let lastError: unknown = null;
    for (let i = 0; i < attempts; i++) {
      const stream = await StreamTransport.bind(bindAddr, {
        ...streamOpts,
        onError: onError && ((err, context) => onError(err, `stream-${context}`)),
      });
      const boundAddr = formatAddr(host, stream.boundPort);
      try {
        const udp = await UdpTransport.bind(boundAddr, {
          maxDatagramBytes,
          onError: onError && ((err, context) => onError(err, `udp-${context}`)),
        });
        return new NetTransport(udp, stream, advertise ?? boundAddr);
      } catch (err) {
        await stream.close();
        lastError = err;
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      }
    }
    throw lastError;
  }

  get boundPort(): number {
    return this.stream.boundPort;
  }

  onReceive(handler: ReceiveHandler): void {
    this.udp.onReceive(handler);
    this.stream.onReceive(handler);
  }

  onSendError(handler: (to: Addr, channel: Channel, error: Error) => void): void {
    this.udp.onSendError(handler);
    this.stream.onSendError(handler);
  }

  onPeerClosed(handler: PeerClosedHandler): void {
    this.stream.onPeerClosed(handler);
  }

  send(to: Addr, bytes: Uint8Array, channel: Channel): void {
    if (channel === 'datagram') this.udp.send(to, bytes, channel);
    else this.stream.send(to, bytes, channel);
  }

  async close(): Promise<void> {
    await Promise.all([this.udp.close(), this.stream.close()]);
  }
}
