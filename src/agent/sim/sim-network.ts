// The simulated network: seeded latency, datagram loss, partitions and dead nodes. Deliveries are
// scheduled on the simulator's event queue; nothing real is touched.
import type { Rng } from '../core/types.js';
import type { Channel } from '../transport/transport.js';
import type { Addr } from '../wire/messages.js';
import type { EventQueue } from './event-queue.js';

/** Event kinds the network puts on the queue (the simulator owns kinds ≥ 10). */
export const DELIVER_DATAGRAM = 1;
export const DELIVER_STREAM = 2;

export interface SimNetworkOptions {
  /** Probability that a datagram is dropped, in [0, 1]. Streams are never dropped by loss. */
  loss: number;
  latencyMinMs: number;
  latencyMaxMs: number;
}

export const DEFAULT_NETWORK: SimNetworkOptions = { loss: 0, latencyMinMs: 1, latencyMaxMs: 5 };

export interface NetworkCounters {
  sent: number;
  delivered: number;
  droppedLoss: number;
  droppedPartition: number;
  droppedDead: number;
  unknownAddr: number;
  /** Bytes handed to the network on the stream channel (the core uses streams for anti-entropy only). */
  streamBytes: number;
}

/** A label per node index; 10.x.y.z:7946 so anything that parses host:port is happy. */
export function simAddr(index: number): Addr {
  return `10.${(index >>> 16) & 255}.${(index >>> 8) & 255}.${index & 255}:7946`;
}

export class SimNetwork {
  readonly counters: NetworkCounters = {
    sent: 0,
    delivered: 0,
    droppedLoss: 0,
    droppedPartition: 0,
    droppedDead: 0,
    unknownAddr: 0,
    streamBytes: 0,
  };
  /** Packets and bytes each node handed to the network (before loss), all channels. */
  readonly packetsSent: Float64Array;
  readonly bytesSent: Float64Array;
  private readonly addrs: Addr[];
  private readonly index = new Map<Addr, number>();
  private readonly alive: Uint8Array;
  /** Nodes reach each other only when their group ids are equal; all 0 when healed. */
  private readonly group: Int32Array;
  /** Last scheduled stream delivery per (from, to), so streams stay ordered per peer. */
  private readonly streamTail = new Map<number, number>();

  constructor(
    readonly size: number,
    private readonly queue: EventQueue<Uint8Array>,
    private readonly rng: Rng,
    private readonly options: SimNetworkOptions = DEFAULT_NETWORK,
  ) {
    if (options.loss < 0 || options.loss > 1) throw new RangeError('loss must be in [0, 1]');
    const { latencyMinMs: lo, latencyMaxMs: hi } = options;
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi < lo)
      throw new RangeError('latency must be whole milliseconds, 0 ≤ min ≤ max');
    this.addrs = new Array<Addr>(size);
    for (let i = 0; i < size; i++) {
      const addr = simAddr(i);
      this.addrs[i] = addr;
      this.index.set(addr, i);
    }
    this.alive = new Uint8Array(size).fill(1);
    this.group = new Int32Array(size);
    this.packetsSent = new Float64Array(size);
    this.bytesSent = new Float64Array(size);
  }

  addrOf(i: number): Addr {
    const addr = this.addrs[i];
    if (addr === undefined) throw new RangeError(`no node ${i}`);
    return addr;
  }

  indexOf(addr: Addr): number | undefined {
    return this.index.get(addr);
  }

  kill(i: number): void {
    this.alive[i] = 0;
  }

  isAlive(i: number): boolean {
    return this.alive[i] === 1;
  }

  /** Each listed side becomes its own island; unlisted nodes form one more island. */
  partition(sides: readonly (readonly number[])[]): void {
    this.group.fill(0);
    sides.forEach((side, k) => {
      for (const i of side) this.group[i] = k + 1;
    });
  }

  heal(): void {
    this.group.fill(0);
  }

  canReach(from: number, to: number): boolean {
    return this.group[from] === this.group[to];
  }

  /** Called for every `CoreOutput.send`: counts it, then drops it or schedules its delivery. */
  send(from: number, to: Addr, bytes: Uint8Array, channel: Channel, now: number): void {
    this.counters.sent++;
    this.packetsSent[from] = (this.packetsSent[from] as number) + 1;
    this.bytesSent[from] = (this.bytesSent[from] as number) + bytes.length;
    if (channel === 'stream') this.counters.streamBytes += bytes.length;
    const target = this.index.get(to);
    if (target === undefined) {
      this.counters.unknownAddr++;
      return;
    }
    if (this.alive[from] === 0 || this.alive[target] === 0) {
      this.counters.droppedDead++;
      return;
    }
    if (!this.canReach(from, target)) {
      this.counters.droppedPartition++;
      return;
    }
    // Whole milliseconds: the core stamps times on the wire as integers.
    const { latencyMinMs: lo, latencyMaxMs: hi } = this.options;
    let at = now + lo + this.rng.int(hi - lo + 1);
    if (channel === 'datagram') {
      if (this.options.loss > 0 && this.rng.next() < this.options.loss) {
        this.counters.droppedLoss++;
        return;
      }
      this.queue.push(at, DELIVER_DATAGRAM, from, target, bytes);
      return;
    }
    const pair = from * this.size + target;
    const tail = this.streamTail.get(pair);
    if (tail !== undefined && tail > at) at = tail;
    this.streamTail.set(pair, at);
    this.queue.push(at, DELIVER_STREAM, from, target, bytes);
  }

  /** Checked again when a packet lands: a node that died or got cut off in flight receives nothing. */
  deliverable(from: number, to: number): boolean {
    if (this.alive[to] === 0) {
      this.counters.droppedDead++;
      return false;
    }
    if (!this.canReach(from, to)) {
      this.counters.droppedPartition++;
      return false;
    }
    this.counters.delivered++;
    return true;
  }
}
