import type { Rng } from '../base/types.js';
import type { Addr } from '../wire/messages.js';
import { DeliveryQueue } from './delivery-queue.js';
import type { Channel, ReceiveHandler, Transport } from './transport.js';
import { type SendErrorHandler, TransportHandlers } from './transport-handlers.js';

export interface MemoryNetworkOptions {
  rng: Rng;
  /** One-way delay drawn uniformly from [min, max] ms per message. Default [1, 1]. */
  latencyMs?: readonly [min: number, max: number];
  /** Probability a datagram is lost (streams are never lost). Default 0. */
  loss?: number;
  /**
   * Virtual time used to stamp sends. Default: the network's own time, which deliverUntil advances
   * (and sets to each message's time while delivering it, so replies are stamped correctly).
   */
  clock?: () => number;
  /** Called with the delivery time of every message queued, so a scheduler can wake up for it. */
  onScheduled?: (at: number) => void;
}

export interface MemoryNetworkStats {
  sent: number;
  delivered: number;
  /** Datagrams lost to the loss rate. */
  lost: number;
  /** Messages stopped by a partition (streams are also reported to the sender's onSendError). */
  blocked: number;
  /** Messages to an address nobody is attached to (or that closed). */
  unreachable: number;
}

interface InFlight {
  at: number;
  seq: number;
  from: Addr;
  to: Addr;
  bytes: Uint8Array;
  channel: Channel;
}

/**
 * A deterministic in-memory network for tests and the simulator: no timers, time advances only
 * through deliverUntil. Per (from, to) pair stream messages arrive in send order.
 */
export class MemoryNetwork {
  readonly stats: MemoryNetworkStats = { sent: 0, delivered: 0, lost: 0, blocked: 0, unreachable: 0 };
  private readonly rng: Rng;
  private latency: readonly [number, number];
  private loss: number;
  private readonly clock: (() => number) | undefined;
  private readonly onScheduled: ((at: number) => void) | undefined;
  private readonly queue = new DeliveryQueue<InFlight>();
  private readonly endpoints = new Map<Addr, MemoryTransport>();
  /** Blocked directed pairs, keyed "from\nto". */
  private readonly blockedPairs = new Set<string>();
  /** Last stream delivery time per directed pair, so streams stay ordered despite random latency. */
  private readonly lastStreamAt = new Map<string, number>();
  private time = 0;
  private seq = 0;

  constructor(opts: MemoryNetworkOptions) {
    this.rng = opts.rng;
    this.latency = opts.latencyMs ?? [1, 1];
    this.loss = opts.loss ?? 0;
    this.clock = opts.clock;
    this.onScheduled = opts.onScheduled;
    checkLatency(this.latency);
    checkLoss(this.loss);
  }

  /** Creates the endpoint for addr; throws if addr is already attached. */
  attach(addr: Addr): MemoryTransport {
    if (this.endpoints.has(addr)) throw new Error(`address ${addr} is already attached`);
    const transport = new MemoryTransport(this, addr);
    this.endpoints.set(addr, transport);
    return transport;
  }

  /** Blocks traffic both ways between every address of groupA and every address of groupB (adds up). */
  partition(groupA: readonly Addr[], groupB: readonly Addr[]): void {
    for (const a of groupA) {
      for (const b of groupB) {
        this.blockedPairs.add(pairKey(a, b));
        this.blockedPairs.add(pairKey(b, a));
      }
    }
  }

  /** Blocks one direction only (from → to). */
  block(from: Addr, to: Addr): void {
    this.blockedPairs.add(pairKey(from, to));
  }

  /** Removes every partition. */
  heal(): void {
    this.blockedPairs.clear();
  }

  setLoss(p: number): void {
    checkLoss(p);
    this.loss = p;
  }

  setLatency(latencyMs: readonly [min: number, max: number]): void {
    checkLatency(latencyMs);
    this.latency = latencyMs;
  }

  /** The network's virtual time (the clock option when given). */
  now(): number {
    return this.clock ? this.clock() : this.time;
  }

  /** Messages in flight. */
  pending(): number {
    return this.queue.size;
  }

  /** When the next in-flight message arrives, or null when none is in flight. */
  nextDeliveryAt(): number | null {
    return this.queue.peek()?.at ?? null;
  }

  /**
   * Delivers, in time order, every message due at or before now, including ones sent by handlers
   * during this call. Returns how many were handed to receivers.
   */
  deliverUntil(now: number): number {
    let delivered = 0;
    for (;;) {
      const next = this.queue.peek();
      if (next === undefined || next.at > now) break;
      this.queue.pop();
      if (next.at > this.time) this.time = next.at;
      if (this.deliver(next)) delivered++;
    }
    if (now > this.time) this.time = now;
    return delivered;
  }

  /** Called by MemoryTransport.send. */
  enqueue(from: Addr, to: Addr, bytes: Uint8Array, channel: Channel): void {
    this.stats.sent++;
    if (channel === 'datagram' && this.loss > 0 && this.rng.next() < this.loss) {
      this.stats.lost++;
      return;
    }
    const [min, max] = this.latency;
    let at = this.now() + (max > min ? min + this.rng.next() * (max - min) : min);
    if (channel === 'stream') {
      const key = pairKey(from, to);
      const last = this.lastStreamAt.get(key);
      if (last !== undefined && last > at) at = last;
      this.lastStreamAt.set(key, at);
    }
    // Copy so a sender reusing its buffer cannot change what is in flight, as on a real network.
    this.queue.push({ at, seq: this.seq++, from, to, bytes: bytes.slice(), channel });
    this.onScheduled?.(at);
  }

  /** Called by MemoryTransport.close. */
  detach(addr: Addr, transport: MemoryTransport): void {
    if (this.endpoints.get(addr) === transport) this.endpoints.delete(addr);
  }

  private deliver(m: InFlight): boolean {
    if (this.blockedPairs.has(pairKey(m.from, m.to))) {
      this.stats.blocked++;
      this.failStream(m, 'partitioned');
      return false;
    }
    const target = this.endpoints.get(m.to);
    if (target === undefined) {
      this.stats.unreachable++;
      // As the kernel reports it: nobody listening at an address of a live host is ECONNREFUSED.
      this.failStream(m, 'connection refused', 'ECONNREFUSED');
      return false;
    }
    this.stats.delivered++;
    target.deliver(m.from, m.bytes, m.channel);
    return true;
  }

  private failStream(m: InFlight, reason: string, code?: string): void {
    if (m.channel !== 'stream') return;
    const error = Object.assign(new Error(`stream to ${m.to}: ${reason}`), code ? { code } : {});
    this.endpoints.get(m.from)?.sendFailed(m.to, error);
  }
}

/** One node's endpoint on a MemoryNetwork. */
export class MemoryTransport implements Transport {
  private readonly handlers = new TransportHandlers();
  private closed = false;

  constructor(
    private readonly network: MemoryNetwork,
    readonly localAddr: Addr,
  ) {}

  onReceive(handler: ReceiveHandler): void {
    this.handlers.onReceive(handler);
  }

  onSendError(handler: SendErrorHandler): void {
    this.handlers.onSendError(handler);
  }

  send(to: Addr, bytes: Uint8Array, channel: Channel): void {
    if (!this.closed) this.network.enqueue(this.localAddr, to, bytes, channel);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.network.detach(this.localAddr, this);
  }

  /** Called by the network. */
  deliver(from: Addr, bytes: Uint8Array, channel: Channel): void {
    this.handlers.received(from, bytes, channel);
  }

  /** Called by the network. */
  sendFailed(to: Addr, error: Error): void {
    this.handlers.sendFailed(to, 'stream', error);
  }
}

function pairKey(from: Addr, to: Addr): string {
  return `${from}\n${to}`;
}

function checkLoss(p: number): void {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`loss must be within [0, 1], got ${p}`);
}

function checkLatency([min, max]: readonly [number, number]): void {
  if (!(min >= 0 && max >= min)) throw new RangeError(`latencyMs must be [min, max] with 0 <= min <= max`);
}
