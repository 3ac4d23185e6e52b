import net from 'node:net';
import { formatAddr, parseAddr } from '../../net/address.js';
import type { Addr } from '../wire/messages.js';
import { encodeFrameHeader, FrameDecoder, FrameTooLargeError } from './frame-decoder.js';
import type { Channel, PeerClosedHandler, ReceiveHandler, Transport } from './transport.js';
import { type SendErrorHandler, TransportHandlers } from './transport-handlers.js';

export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
/**
 * Inbound connections held at once, in total and per source IP. A peer pools one outbound connection
 * to us (closed after 30 s idle), so on a pod network one address needs one or two; agents sharing an
 * address (a loopback cluster, a NAT) need one each: 128 per source fits a 100-agent loopback cluster.
 * 512 in total stays below half of the common 1,024-descriptor soft limit, leaving room for our own
 * outbound pool, HTTP and event streams (see docs/configuration.md).
 */
export const DEFAULT_MAX_INBOUND = 512;
export const DEFAULT_MAX_INBOUND_PER_SOURCE = 128;
/** Largest frame an inbound connection may send before one of its frames has authenticated. */
export const DEFAULT_PRE_AUTH_FRAME_BYTES = 64 * 1024;
/** Time a frame may take from its first byte to its last (and a new connection to its first frame). */
export const DEFAULT_FRAME_DEADLINE_MS = 10_000;

/** 'handler': a receive or send-error handler threw; caught so it cannot crash the agent. */
export type StreamErrorContext = 'accept' | 'inbound' | 'outbound' | 'handler';

/**
 * Why a connection was refused or closed because of what its peer did (never a stack trace: these
 * are the peer's doing). connection-limit / source-limit: over maxInbound / maxInboundPerSource;
 * oversize-frame: a frame header over the limit (the pre-auth one until a frame authenticated);
 * unauthenticated: a first frame that did not authenticate; frame-deadline: a frame (or a new
 * connection's first frame) not complete within frameDeadlineMs, e.g. a byte-a-second sender.
 */
export type StreamRefusal =
  | 'connection-limit'
  | 'source-limit'
  | 'oversize-frame'
  | 'unauthenticated'
  | 'frame-deadline';

export const STREAM_REFUSALS: readonly StreamRefusal[] = [
  'connection-limit',
  'source-limit',
  'oversize-frame',
  'unauthenticated',
  'frame-deadline',
];

export interface StreamIncident {
  kind: StreamRefusal;
  /** The peer's IP:port. */
  from: Addr;
  detail: string;
}

export interface StreamTransportOptions {
  /** Address to publish instead of the bound one. */
  advertise?: string;
  /** Largest frame sent or accepted; a peer announcing more is disconnected. Default 16 MiB. */
  maxFrameBytes?: number;
  /** An outbound connection with no traffic for this long is closed (inbound: twice this). Default 30 s. */
  idleTimeoutMs?: number;
  /** Default 5 s. */
  connectTimeoutMs?: number;
  /** Bytes queued per peer (while connecting or not yet flushed) beyond which sends fail. Default 64 MiB. */
  maxPendingBytes?: number;
  /** Connection-level failures, for logs; delivery failures also go to onSendError. */
  onError?: (error: Error, context: StreamErrorContext) => void;
  /** Default DEFAULT_MAX_INBOUND; connections past it are closed at once. */
  maxInbound?: number;
  /** Default DEFAULT_MAX_INBOUND_PER_SOURCE (per remote IP address). */
  maxInboundPerSource?: number;
  /**
   * Whether a received frame proves its sender belongs to the cluster (decodes for our cluster and
   * keyring). Given it, an inbound connection may send frames of at most preAuthFrameBytes until one
   * authenticates, and one that does not closes the connection. Without it, every frame is trusted.
   */
  authenticate?: (frame: Uint8Array) => boolean;
  /** Default DEFAULT_PRE_AUTH_FRAME_BYTES. */
  preAuthFrameBytes?: number;
  /** Default DEFAULT_FRAME_DEADLINE_MS. */
  frameDeadlineMs?: number;
  /** Connections refused or closed because of their peer (see StreamRefusal); also counted in stats. */
  onIncident?: (incident: StreamIncident) => void;
}

export interface StreamTransportStats {
  framesSent: number;
  framesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  connectionsOpened: number;
  connectionsAccepted: number;
  /** Frames reported to onSendError (refused, reset, timeout, queue full, too large). */
  sendErrors: number;
  /** Inbound connections dropped because the peer announced a frame over maxFrameBytes. */
  oversizeFrames: number;
  idleClosed: number;
  /** Established outbound connections the peer ended or reset (each reported to onPeerClosed). */
  peerClosed: number;
  /** Connections refused or closed, by reason (oversize-frame also counts pre-auth oversize frames). */
  refused: Record<StreamRefusal, number>;
}

interface Outbound {
  socket: net.Socket;
  connected: boolean;
  /** Frames written before the connection opened; failed one by one if it never does. */
  queued: Uint8Array[];
  queuedBytes: number;
  /** Whether a frame was written since the connection opened (to report a later failure once). */
  wroteSinceOpen: boolean;
}

/** Length-framed TCP (u32 big-endian length + bytes) with one pooled outbound connection per peer. */
export class StreamTransport implements Transport {
  readonly stats: StreamTransportStats = {
    framesSent: 0,
    framesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    connectionsOpened: 0,
    connectionsAccepted: 0,
    sendErrors: 0,
    oversizeFrames: 0,
    idleClosed: 0,
    peerClosed: 0,
    refused: {
      'connection-limit': 0,
      'source-limit': 0,
      'oversize-frame': 0,
      unauthenticated: 0,
      'frame-deadline': 0,
    },
  };
  private readonly handlers: TransportHandlers;
  private readonly outbound = new Map<Addr, Outbound>();
  private readonly inbound = new Set<net.Socket>();
  /** Open inbound connections per remote IP address. */
  private readonly perSource = new Map<string, number>();
  private readonly maxFrameBytes: number;
  private readonly maxInbound: number;
  private readonly maxInboundPerSource: number;
  private readonly preAuthFrameBytes: number;
  private readonly frameDeadlineMs: number;
  private readonly idleTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly maxPendingBytes: number;
  private closed = false;

  private constructor(
    private readonly server: net.Server,
    readonly localAddr: Addr,
    private readonly opts: StreamTransportOptions,
  ) {
    this.handlers = new TransportHandlers((err) => opts.onError?.(err, 'handler'));
    this.maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 30_000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 5_000;
    this.maxPendingBytes = opts.maxPendingBytes ?? 64 * 1024 * 1024;
    this.maxInbound = opts.maxInbound ?? DEFAULT_MAX_INBOUND;
    this.maxInboundPerSource = opts.maxInboundPerSource ?? DEFAULT_MAX_INBOUND_PER_SOURCE;
    this.preAuthFrameBytes = Math.min(
      opts.preAuthFrameBytes ?? DEFAULT_PRE_AUTH_FRAME_BYTES,
      this.maxFrameBytes,
    );
    this.frameDeadlineMs = opts.frameDeadlineMs ?? DEFAULT_FRAME_DEADLINE_MS;
    server.on('connection', (socket) => this.accept(socket));
    server.on('error', (err) => this.opts.onError?.(err, 'accept'));
  }

  /** Listens on "host:port" (port 0 picks a free port, reflected in localAddr unless advertise is given). */
  static async bind(bindAddr: string, opts: StreamTransportOptions = {}): Promise<StreamTransport> {
    const { host, port } = parseAddr(bindAddr);
    if (opts.advertise !== undefined) parseAddr(opts.advertise);
    const server = net.createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = server.address() as net.AddressInfo;
    return new StreamTransport(server, opts.advertise ?? formatAddr(bound.address, bound.port), opts);
  }

  get boundPort(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Open outbound connections (for tests and metrics). */
  get outboundCount(): number {
    return this.outbound.size;
  }

  get inboundCount(): number {
    return this.inbound.size;
  }

  onReceive(handler: ReceiveHandler): void {
    this.handlers.onReceive(handler);
  }

  onSendError(handler: SendErrorHandler): void {
    this.handlers.onSendError(handler);
  }

  onPeerClosed(handler: PeerClosedHandler): void {
    this.handlers.onPeerClosed(handler);
  }

  send(to: Addr, bytes: Uint8Array, channel: Channel): void {
    if (this.closed) return;
    if (channel !== 'stream') {
      this.failSend(to, channel, new Error('stream transport has no datagram channel'));
      return;
    }
    if (bytes.length > this.maxFrameBytes) {
      this.failSend(
        to,
        channel,
        new Error(`frame of ${bytes.length} bytes exceeds maxFrameBytes ${this.maxFrameBytes}`),
      );
      return;
    }
    let conn = this.outbound.get(to);
    if (conn === undefined) {
      try {
        conn = this.connect(to);
      } catch (err) {
        this.failSend(to, channel, err as Error);
        return;
      }
    }
    if (!conn.connected) {
      if (conn.queuedBytes + bytes.length > this.maxPendingBytes) {
        this.failSend(
          to,
          channel,
          new Error(`send queue to ${to} is full (${conn.queuedBytes} bytes pending)`),
        );
        return;
      }
      conn.queued.push(bytes);
      conn.queuedBytes += bytes.length;
      return;
    }
    if (conn.socket.writableLength + bytes.length > this.maxPendingBytes) {
      // The peer is not reading fast enough; refuse rather than buffer without bound.
      this.failSend(
        to,
        channel,
        new Error(`send buffer to ${to} is full (${conn.socket.writableLength} bytes)`),
      );
      return;
    }
    this.writeFrame(conn, bytes);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const conn of this.outbound.values()) conn.socket.destroy();
    this.outbound.clear();
    for (const socket of this.inbound) socket.destroy();
    this.inbound.clear();
    await serverClosed;
  }

  private connect(to: Addr): Outbound {
    const { host, port } = parseAddr(to);
    // Connect from the address we are bound to (when it is a specific one of the same family), so
    // peers and firewalls see the address they know us by, as with our UDP datagrams.
    const local = (this.server.address() as net.AddressInfo).address;
    const specific = local !== '0.0.0.0' && local !== '::' && net.isIPv6(local) === net.isIPv6(host);
    const socket = net.connect({ host, port, noDelay: true, ...(specific ? { localAddress: local } : {}) });
    const conn: Outbound = { socket, connected: false, queued: [], queuedBytes: 0, wroteSinceOpen: false };
    this.outbound.set(to, conn);
    this.stats.connectionsOpened++;
    socket.setTimeout(this.connectTimeoutMs);
    socket.once('connect', () => {
      conn.connected = true;
      socket.setKeepAlive(true);
      socket.setTimeout(this.idleTimeoutMs);
      const queued = conn.queued;
      conn.queued = [];
      conn.queuedBytes = 0;
      for (const frame of queued) this.writeFrame(conn, frame);
    });
    socket.on('timeout', () => {
      if (conn.connected) {
        this.stats.idleClosed++;
        this.drop(to, conn, null);
      } else {
        this.drop(to, conn, Object.assign(new Error(`connect to ${to} timed out`), { code: 'ETIMEDOUT' }));
      }
    });
    // We close idle connections first (the peer waits twice as long), so an established connection
    // that the peer ends or resets means its process went away (killed, crashed, restarting): the
    // core hears of it at once. Reported once, before the connection is forgotten.
    const peerGone = () => {
      if (conn.connected && !this.closed && this.outbound.get(to) === conn) {
        this.stats.peerClosed++;
        this.handlers.peerClosed(to);
      }
    };
    socket.on('error', (err) => {
      peerGone();
      this.drop(to, conn, err);
    });
    // The peer closed (e.g. it restarted): forget the connection at once so the next send reconnects.
    socket.on('close', () => this.drop(to, conn, null));
    socket.on('end', () => {
      peerGone();
      this.drop(to, conn, null);
    });
    this.readFrames(socket, to, 'outbound');
    return conn;
  }

  /** Removes a pooled connection; with an error, reports the frames it failed to deliver. */
  private drop(to: Addr, conn: Outbound, error: Error | null): void {
    if (this.outbound.get(to) === conn) this.outbound.delete(to);
    conn.socket.destroy();
    const queued = conn.queued;
    conn.queued = [];
    conn.queuedBytes = 0;
    if (error === null || this.closed) return;
    this.opts.onError?.(error, 'outbound');
    if (queued.length > 0) {
      for (let i = 0; i < queued.length; i++) this.failSend(to, 'stream', error);
    } else if (conn.wroteSinceOpen) {
      // Data already handed to the kernel may or may not have arrived; report the failure once.
      conn.wroteSinceOpen = false;
      this.failSend(to, 'stream', error);
    }
  }

  private writeFrame(conn: Outbound, bytes: Uint8Array): void {
    conn.wroteSinceOpen = true;
    this.stats.framesSent++;
    this.stats.bytesSent += bytes.length;
    conn.socket.cork();
    conn.socket.write(encodeFrameHeader(bytes.length));
    conn.socket.write(bytes);
    conn.socket.uncork();
  }

  private accept(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const ip = socket.remoteAddress ?? 'unknown';
    const from = socket.remotePort !== undefined ? formatAddr(ip, socket.remotePort) : `${ip}:0`;
    // Refused before anything is read or allocated: the descriptor is released at once.
    const fromSource = this.perSource.get(ip) ?? 0;
    if (this.inbound.size >= this.maxInbound) {
      socket.destroy();
      this.incident(
        'connection-limit',
        from,
        `${this.inbound.size} inbound connections open (limit ${this.maxInbound})`,
      );
      return;
    }
    if (fromSource >= this.maxInboundPerSource) {
      socket.destroy();
      this.incident(
        'source-limit',
        from,
        `${fromSource} inbound connections from ${ip} (limit ${this.maxInboundPerSource})`,
      );
      return;
    }
    this.stats.connectionsAccepted++;
    this.inbound.add(socket);
    this.perSource.set(ip, fromSource + 1);
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    // The sending side closes idle connections first; this only reaps peers that vanished.
    socket.setTimeout(this.idleTimeoutMs * 2, () => {
      this.stats.idleClosed++;
      socket.destroy();
    });
    socket.on('error', (err) => this.opts.onError?.(err, 'inbound'));
    socket.once('close', () => {
      this.inbound.delete(socket);
      const n = (this.perSource.get(ip) ?? 1) - 1;
      if (n > 0) this.perSource.set(ip, n);
      else this.perSource.delete(ip);
    });
    this.readFrames(socket, from, 'inbound');
  }

  private readFrames(socket: net.Socket, from: Addr, context: 'inbound' | 'outbound'): void {
    // Inbound connections start untrusted when an authenticator is given: small frames only, and
    // the first frame must arrive (and authenticate) within the frame deadline.
    let trusted = context === 'outbound' || this.opts.authenticate === undefined;
    const decoder = new FrameDecoder(trusted ? this.maxFrameBytes : this.preAuthFrameBytes);
    let deadline: NodeJS.Timeout | null = null;
    let completed = 0;
    let completedAtArm = 0;
    const arm = (): void => {
      if (deadline !== null) clearTimeout(deadline);
      completedAtArm = completed;
      deadline = setTimeout(() => {
        deadline = null;
        if (socket.destroyed) return;
        socket.destroy();
        this.incident(
          'frame-deadline',
          from,
          trusted
            ? `frame not complete within ${this.frameDeadlineMs} ms (${decoder.pendingBytes} bytes received)`
            : `no authenticated frame within ${this.frameDeadlineMs} ms of connecting`,
        );
      }, this.frameDeadlineMs);
      deadline.unref();
    };
    const disarm = (): void => {
      if (deadline !== null) clearTimeout(deadline);
      deadline = null;
    };
    socket.once('close', disarm);
    if (!trusted) arm();
    const onFrame = (frame: Uint8Array) => {
      completed++;
      this.stats.framesReceived++;
      this.stats.bytesReceived += frame.length;
      if (!trusted) {
        if (!this.opts.authenticate!(frame)) {
          socket.destroy();
          throw new Unauthenticated();
        }
        trusted = true;
        decoder.maxFrameBytes = this.maxFrameBytes;
      }
      this.deliver(from, frame);
    };
    socket.on('data', (chunk: Buffer) => {
      if (socket.destroyed) return;
      try {
        decoder.push(chunk, onFrame);
      } catch (err) {
        socket.destroy();
        disarm();
        if (err instanceof Unauthenticated) {
          this.incident(
            'unauthenticated',
            from,
            'first frame did not authenticate (wrong cluster or key, or garbage)',
          );
        } else if (err instanceof FrameTooLargeError) {
          this.stats.oversizeFrames++;
          this.incident(
            'oversize-frame',
            from,
            `announced a ${err.announced}-byte frame, over the ${trusted ? '' : 'pre-authentication '}limit of ${err.max} bytes`,
          );
        } else this.opts.onError?.(err as Error, context);
        return;
      }
      // One deadline per frame, not per byte: re-armed when a frame starts, cleared between frames.
      if (!decoder.inFrame) {
        if (trusted) disarm();
      } else if (deadline === null || completed > completedAtArm) arm();
    });
  }

  private incident(kind: StreamRefusal, from: Addr, detail: string): void {
    this.stats.refused[kind]++;
    this.opts.onIncident?.({ kind, from, detail });
  }

  private deliver(from: Addr, frame: Uint8Array): void {
    if (this.closed) return;
    this.handlers.received(from, frame, 'stream');
  }

  private failSend(to: Addr, channel: Channel, error: Error): void {
    this.stats.sendErrors++;
    this.handlers.sendFailed(to, channel, error);
  }
}

/** Thrown out of FrameDecoder.push to stop reading a connection whose first frame did not authenticate. */
class Unauthenticated extends Error {}
