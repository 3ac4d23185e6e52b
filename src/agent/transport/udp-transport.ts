import dgram from 'node:dgram';
import { formatAddr, isIpv6Host, parseAddr } from '../../net/address.js';
import type { Addr } from '../wire/messages.js';
import type { Channel, ReceiveHandler, Transport } from './transport.js';
import { type SendErrorHandler, TransportHandlers } from './transport-handlers.js';

/** 'handler': a receive or send-error handler threw; it is caught so one bad packet cannot crash the agent. */
export type UdpErrorContext = 'receive' | 'send' | 'handler';

export interface UdpTransportOptions {
  /** Address to publish instead of the bound one (e.g. the pod IP when bound to 0.0.0.0). */
  advertise?: string;
  /** Outbound datagrams larger than this are dropped and counted (the core packs up to maxPacketBytes). */
  maxDatagramBytes: number;
  /** Socket and send failures; they never throw or crash the process. */
  onError?: (error: Error, context: UdpErrorContext) => void;
}

export interface UdpTransportStats {
  datagramsSent: number;
  datagramsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  sendErrors: number;
  receiveErrors: number;
  /** Outbound datagrams over maxDatagramBytes, dropped here. */
  oversizeDropped: number;
  /** Inbound datagrams over maxDatagramBytes; handed up anyway so the core counts them as 'oversize'. */
  oversizeReceived: number;
}

/** The datagram channel over one node:dgram socket. Sends on 'stream' are refused via onSendError. */
export class UdpTransport implements Transport {
  readonly stats: UdpTransportStats = {
    datagramsSent: 0,
    datagramsReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    sendErrors: 0,
    receiveErrors: 0,
    oversizeDropped: 0,
    oversizeReceived: 0,
  };
  private readonly handlers: TransportHandlers;
  private closed = false;

  private constructor(
    private readonly socket: dgram.Socket,
    readonly localAddr: Addr,
    private readonly opts: UdpTransportOptions,
  ) {
    this.handlers = new TransportHandlers((err) => opts.onError?.(err, 'handler'));
    socket.on('message', (msg, rinfo) => this.handleMessage(msg, rinfo));
    // Without an 'error' listener a socket error would be thrown as an uncaught exception.
    socket.on('error', (err) => {
      this.stats.receiveErrors++;
      this.opts.onError?.(err, 'receive');
    });
  }

  /** Binds "host:port" (port 0 picks a free port, reflected in localAddr unless advertise is given). */
  static async bind(bindAddr: string, opts: UdpTransportOptions): Promise<UdpTransport> {
    const { host, port } = parseAddr(bindAddr);
    if (opts.advertise !== undefined) parseAddr(opts.advertise);
    const socket = dgram.createSocket({ type: isIpv6Host(host) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        socket.close();
        reject(err);
      };
      socket.once('error', onError);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    const bound = socket.address();
    return new UdpTransport(socket, opts.advertise ?? formatAddr(bound.address, bound.port), opts);
  }

  /** The port actually bound (useful when the advertised address differs). */
  get boundPort(): number {
    return this.socket.address().port;
  }

  onReceive(handler: ReceiveHandler): void {
    this.handlers.onReceive(handler);
  }

  onSendError(handler: SendErrorHandler): void {
    this.handlers.onSendError(handler);
  }

  send(to: Addr, bytes: Uint8Array, channel: Channel): void {
    if (this.closed) return;
    if (channel !== 'datagram') {
      this.failSend(to, channel, new Error('udp transport has no stream channel'));
      return;
    }
    if (bytes.length > this.opts.maxDatagramBytes) {
      this.stats.oversizeDropped++;
      this.failSend(
        to,
        channel,
        new Error(`datagram of ${bytes.length} bytes exceeds maxDatagramBytes ${this.opts.maxDatagramBytes}`),
      );
      return;
    }
    let host: string;
    let port: number;
    try {
      ({ host, port } = parseAddr(to));
    } catch (err) {
      this.failSend(to, channel, err as Error);
      return;
    }
    this.stats.datagramsSent++;
    this.stats.bytesSent += bytes.length;
    try {
      this.socket.send(bytes, port, host, (err) => {
        if (err) this.failSend(to, channel, err);
      });
    } catch (err) {
      // dgram throws synchronously for some argument problems (e.g. port 0); never let it escape.
      this.failSend(to, channel, err as Error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private handleMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    this.stats.datagramsReceived++;
    this.stats.bytesReceived += msg.length;
    if (msg.length > this.opts.maxDatagramBytes) this.stats.oversizeReceived++;
    const from = formatAddr(rinfo.address, rinfo.port);
    const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.length);
    this.handlers.received(from, bytes, 'datagram');
  }

  private failSend(to: Addr, channel: Channel, error: Error): void {
    this.stats.sendErrors++;
    this.opts.onError?.(error, 'send');
    this.handlers.sendFailed(to, channel, error);
  }
}
