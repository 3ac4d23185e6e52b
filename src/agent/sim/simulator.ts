// Runs N real GossipNodes on one virtual clock. Each node's timer is its nextDeadline(); packets go
// through SimNetwork; everything happens in (time, insertion) order, and all randomness derives from
// one seed, so a run is reproducible.
import type { EngineConfig } from '../config/engine-schema.js';
import { GossipNode } from '../core/gossip-node.js';
import { emptyStores, type NodeStores } from '../core/node-stores.js';
import type { CoreEvent, CoreOutput, Rng } from '../core/types.js';
import { createRng } from '../runtime/rng.js';
import type { Channel } from '../transport/transport.js';
import { Keyring } from '../wire/keyring.js';
import type { Addr, KvEntry, MemberRecord } from '../wire/messages.js';
import { injectDivergentKv } from './divergence.js';
import { EventQueue } from './event-queue.js';
import { SharedStart } from './shared-start.js';
import { DELIVER_DATAGRAM, DELIVER_STREAM, SimNetwork, type SimNetworkOptions } from './sim-network.js';

const TIMER = 10;
const ACTION = 11;

/** Virtual time zero, epoch-aligned like a real agent's clock (the core stamps rumors with it). */
export const SIM_EPOCH_MS = 1_767_225_600_000;

export interface SimulatorOptions {
  nodes: number;
  seed: number;
  config: EngineConfig;
  network: SimNetworkOptions;
  /** Key/value entries every node starts with. */
  kv?: KvEntry[];
  /** Sees every event any node emits. */
  onEvent?: (node: number, event: CoreEvent, now: number) => void;
  /**
   * 'converged' (default): every node starts knowing every other (one shared view, copy-on-write).
   * 'join': every node starts alone and joins through node 0, node i at i × joinSpacingMs.
   */
  start?: 'converged' | 'join';
  joinSpacingMs?: number;
  /**
   * Encrypt every packet (AES-256-GCM, one cluster key). Nonces come from a per-node counter
   * (node index | sequence), so runs stay deterministic and no nonce repeats under the key.
   */
  encrypt?: boolean;
}

export function simName(i: number): string {
  return `n${i}`;
}

export class Simulator {
  readonly size: number;
  readonly nodes: GossipNode[] = [];
  /** Each node's state containers (the simulator writes them directly to inject divergence). */
  private readonly stores: NodeStores[] = [];
  readonly network: SimNetwork;
  readonly members: MemberRecord[];
  /** Randomness for scenario choices, independent of the nodes' and the network's streams. */
  readonly rng: Rng;
  /** Current virtual time (absolute ms; SIM_EPOCH_MS at start). */
  now = SIM_EPOCH_MS;
  /** Events processed, for throughput figures. */
  processed = 0;
  /** Ticks after which the node still had work due (see rearm). */
  stalls = 0;
  private readonly queue = new EventQueue<Uint8Array>(1 << 16);
  /** The time of each node's live timer entry on the queue (NaN = none); older entries are stale. */
  private readonly armedAt: Float64Array;
  private readonly actions: Array<() => void> = [];
  private readonly byName = new Map<string, number>();

  constructor(private readonly options: SimulatorOptions) {
    const n = options.nodes;
    if (!Number.isInteger(n) || n < 1) throw new RangeError('nodes must be a positive integer');
    this.size = n;
    const master = createRng(options.seed);
    this.network = new SimNetwork(n, this.queue, createRng(master.nextUint32()), options.network);
    this.rng = createRng(master.nextUint32());
    this.armedAt = new Float64Array(n).fill(Number.NaN);
    this.members = [];
    for (let i = 0; i < n; i++) {
      const name = simName(i);
      this.byName.set(name, i);
      this.members.push({
        name,
        addr: this.network.addrOf(i),
        generation: 1,
        incarnation: 0,
        state: 'alive',
        tags: {},
      });
    }
    // One view for everyone: nodes fork it copy-on-write, so 10,000 nodes cost O(N), not O(N²).
    const joining = options.start === 'join';
    const shared = joining
      ? undefined
      : new SharedStart(this.members, options.kv ?? [], options.config.tombstoneTtlMs);
    const key = new Uint8Array(32).fill(7);
    for (let i = 0; i < n; i++) {
      const stores = shared ? shared.stores(options.config) : emptyStores(options.config);
      this.stores.push(stores);
      const node = new GossipNode(
        {
          name: simName(i),
          addr: this.network.addrOf(i),
          generation: 1,
          config: options.config,
          keyring: options.encrypt ? new Keyring([key], counterNonces(i)) : null,
        },
        { rng: createRng(master.nextUint32()), out: this.outputFor(i), stores },
        this.now,
      );
      this.nodes.push(node);
    }
    for (let i = 0; i < n; i++) this.rearm(i);
    if (joining) {
      const spacing = options.joinSpacingMs ?? 10;
      const seed = this.network.addrOf(0);
      for (let i = 1; i < n; i++)
        this.at(this.now + i * spacing, () => this.withNode(i, (node, now) => node.join([seed], now)));
    }
  }

  indexOf(name: string): number | undefined {
    return this.byName.get(name);
  }

  node(i: number): GossipNode {
    const node = this.nodes[i];
    if (node === undefined) throw new RangeError(`no node ${i}`);
    return node;
  }

  /** Runs `action` at virtual time `at` (absolute ms), in order with packets and timers. */
  at(at: number, action: () => void): void {
    this.actions.push(action);
    this.queue.push(at, ACTION, this.actions.length - 1);
  }

  /** Calls into node i from a scenario, then re-reads its deadline. */
  withNode(i: number, fn: (node: GossipNode, now: number) => void): void {
    fn(this.node(i), this.now);
    this.rearm(i);
  }

  /**
   * Writes a key/value entry into node i's state without telling anyone, as if every rumor about it
   * had been lost: divergence for anti-entropy to repair. Returns whether it changed anything.
   */
  injectDivergentKv(i: number, entry: KvEntry): boolean {
    const onEvent = this.options.onEvent;
    const stores = this.stores[i];
    if (stores === undefined) throw new RangeError(`no node ${i}`);
    return injectDivergentKv(stores, entry, this.now, (e) => onEvent?.(i, e, this.now));
  }

  /** The node's process is gone: it neither ticks, sends nor receives from now on. */
  kill(i: number): void {
    this.network.kill(i);
  }

  /** Processes every event up to and including absolute time `end`, then sets the clock to `end`. */
  runUntil(end: number): void {
    const queue = this.queue;
    const nodes = this.nodes;
    const network = this.network;
    while (queue.size > 0 && queue.peekTime() <= end) {
      const e = queue.pop() as NonNullable<ReturnType<typeof queue.pop>>;
      this.now = e.time;
      this.processed++;
      switch (e.kind) {
        case TIMER: {
          const i = e.a;
          if (this.armedAt[i] !== e.time) break; // superseded by a later rearm
          this.armedAt[i] = Number.NaN;
          if (!network.isAlive(i)) break;
          (nodes[i] as GossipNode).tick(e.time);
          this.rearm(i, true);
          break;
        }
        case DELIVER_DATAGRAM:
        case DELIVER_STREAM: {
          const from = e.a;
          const to = e.b;
          const bytes = e.ref as Uint8Array;
          if (!network.deliverable(from, to)) break;
          const channel: Channel = e.kind === DELIVER_STREAM ? 'stream' : 'datagram';
          (nodes[to] as GossipNode).receive(network.addrOf(from), bytes, channel, e.time);
          this.rearm(to);
          break;
        }
        case ACTION: {
          const action = this.actions[e.a];
          this.actions[e.a] = noop; // run once; let the closure go
          action?.();
          break;
        }
        default:
          throw new Error(`unknown event kind ${e.kind}`);
      }
    }
    this.now = end;
  }

  /**
   * Queues node i's next timer. After a tick, a deadline not in the future would spin the loop
   * forever; it is pushed 1 ms ahead and counted in `stalls` (a core bug if it ever happens).
   */
  private rearm(i: number, afterTick = false): void {
    const deadline = (this.nodes[i] as GossipNode).nextDeadline();
    if (!Number.isFinite(deadline)) {
      this.armedAt[i] = Number.NaN;
      return;
    }
    let at = Math.max(deadline, this.now);
    if (afterTick && at <= this.now) {
      this.stalls++;
      at = this.now + 1;
    }
    if (this.armedAt[i] === at) return;
    this.armedAt[i] = at;
    this.queue.push(at, TIMER, i);
  }

  private outputFor(i: number): CoreOutput {
    const network = this.network;
    const onEvent = this.options.onEvent;
    return {
      send: (to: Addr, bytes: Uint8Array, channel: Channel) => network.send(i, to, bytes, channel, this.now),
      event: (e: CoreEvent) => onEvent?.(i, e, this.now),
    };
  }
}

function noop(): void {}

/** Deterministic, never-repeating 12-byte nonces for node `index`: index (4 bytes) | counter (8 bytes). */
function counterNonces(index: number): (size: number) => Buffer {
  let counter = 0;
  return (size) => {
    const nonce = Buffer.alloc(size);
    nonce.writeUInt32BE(index >>> 0, 0);
    nonce.writeUIntBE(++counter, size - 6, 6);
    return nonce;
  };
}
