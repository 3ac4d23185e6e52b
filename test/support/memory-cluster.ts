// Deterministic clusters of real GossipNodes on the in-memory network and a virtual clock, for core
// behaviour tests that need nodes to join, die and restart (the simulator starts from a fixed set).

import type { Channel } from '../../src/agent/base/types.js';
import { type EngineConfig, resolveEngineConfig } from '../../src/agent/config/engine-schema.js';
import { GossipNode } from '../../src/agent/core/gossip-node.js';
import { emptyStores, type NodeStores } from '../../src/agent/core/node-stores.js';
import type { CoreEvent } from '../../src/agent/core/types.js';
import { createRng } from '../../src/agent/runtime/rng.js';
import { injectDivergentKv } from '../../src/agent/sim/divergence.js';
import { MemoryNetwork, type MemoryTransport } from '../../src/agent/transport/memory-network.js';
import { isConnectionRefused } from '../../src/agent/transport/transport-handlers.js';
import type { Keyring } from '../../src/agent/wire/keyring.js';
import type { KvEntry, MemberState } from '../../src/agent/wire/messages.js';

export const T0 = 1_767_225_600_000;

export interface ClusterNode {
  node: GossipNode;
  transport: MemoryTransport;
  events: Array<CoreEvent & { at: number }>;
  /** The node's state containers, kept to inject divergence. */
  stores: NodeStores;
  /** Times the node was woken by its own deadline (what would wake an agent's process). */
  ticks: number;
}

export class MemoryCluster {
  readonly net: MemoryNetwork;
  readonly nodes = new Map<string, ClusterNode>();
  now = T0;
  private readonly seed: ReturnType<typeof createRng>;
  /** Frozen nodes (SIGSTOP) with what arrived meanwhile: their kernel still takes it in. */
  private readonly frozen = new Map<string, Array<{ from: string; bytes: Uint8Array; channel: Channel }>>();
  /** Whether nodes are told that a stream connection was refused (as the agent is), or only that it failed. */
  private readonly reportRefusals: boolean;

  constructor(
    seed: number,
    readonly config: EngineConfig = resolveEngineConfig({}),
    opts: { loss?: number; latencyMs?: [number, number]; reportRefusals?: boolean } = {},
  ) {
    this.reportRefusals = opts.reportRefusals ?? true;
    this.seed = createRng(seed);
    this.net = new MemoryNetwork({
      rng: createRng(this.seed.nextUint32()),
      latencyMs: opts.latencyMs ?? [1, 5],
      loss: opts.loss ?? 0,
      clock: () => this.now,
    });
  }

  /** Starts a node; `generation` defaults to the current virtual time (a process start stamp). */
  add(
    name: string,
    addr: string,
    opts: { generation?: number; keyring?: Keyring | null; config?: EngineConfig } = {},
  ): ClusterNode {
    const transport = this.net.attach(addr);
    const events: ClusterNode['events'] = [];
    const config = opts.config ?? this.config;
    const stores = emptyStores(config);
    const node = new GossipNode(
      {
        name,
        addr,
        generation: opts.generation ?? this.now,
        config,
        keyring: opts.keyring ?? null,
      },
      {
        rng: createRng(this.seed.nextUint32()),
        stores,
        out: {
          send: (to, bytes, channel) => transport.send(to, bytes, channel),
          event: (e) => events.push({ ...e, at: this.now }),
        },
      },
      this.now,
    );
    transport.onReceive((from, bytes, channel) => {
      const held = this.frozen.get(name);
      if (held) held.push({ from, bytes, channel });
      else node.receive(from, bytes, channel, this.now);
    });
    // As the agent does (runtime/local-node.ts): a refused stream ends its exchanges at once.
    transport.onSendError((to, channel, error) =>
      node.sendFailed(to, channel, this.now, this.reportRefusals && isConnectionRefused(error)),
    );
    const entry: ClusterNode = { node, transport, events, stores, ticks: 0 };
    this.nodes.set(name, entry);
    return entry;
  }

  /** Writes an entry into a node's state without rumor or mail (divergence for anti-entropy). */
  injectDivergentKv(name: string, entry: KvEntry): boolean {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no node ${name}`);
    return injectDivergentKv(n.stores, entry, this.now, (e) => n.events.push({ ...e, at: this.now }));
  }

  get(name: string): GossipNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no node ${name}`);
    return n.node;
  }

  /** The process is gone without a word (kill -9): it stops ticking and its address goes dark. */
  kill(name: string): void {
    const n = this.nodes.get(name);
    if (!n) return;
    this.net.detach(n.node.addr, n.transport);
    this.nodes.delete(name);
    this.frozen.delete(name);
  }

  /**
   * SIGSTOP: the process neither runs nor reads, but its sockets stay open, so connections are not
   * refused and what arrives waits in its buffers until thaw() (SIGCONT).
   */
  freeze(name: string): void {
    this.get(name);
    if (!this.frozen.has(name)) this.frozen.set(name, []);
  }

  thaw(name: string): void {
    const held = this.frozen.get(name);
    if (!held) return;
    this.frozen.delete(name);
    const node = this.get(name);
    for (const p of held) node.receive(p.from, p.bytes, p.channel, this.now);
  }

  /** Advances virtual time by `ms`, delivering packets and firing timers in order. */
  run(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let next = end;
      for (const [name, n] of this.nodes)
        if (!this.frozen.has(name)) next = Math.min(next, n.node.nextDeadline());
      const delivery = this.net.nextDeliveryAt();
      if (delivery !== null) next = Math.min(next, delivery);
      this.now = Math.max(this.now, next);
      this.net.deliverUntil(this.now);
      for (const [name, n] of [...this.nodes]) {
        if (!this.frozen.has(name) && n.node.nextDeadline() <= this.now) {
          n.ticks++;
          n.node.tick(this.now);
        }
      }
      if (this.now >= end && (this.net.nextDeliveryAt() ?? Number.POSITIVE_INFINITY) > end) break;
    }
  }

  /** Runs until `ok()` holds (checked every 100 ms of virtual time) or `maxMs` passes; returns whether it held. */
  runUntil(ok: () => boolean, maxMs: number): boolean {
    for (let t = 0; t < maxMs; t += 100) {
      if (ok()) return true;
      this.run(100);
    }
    return ok();
  }

  /** How `observer` sees `member`, or undefined when it does not know it. */
  state(observer: string, member: string): MemberState | undefined {
    return this.get(observer).member(member)?.state;
  }

  /** Whether every live node sees exactly `expected` (name → state) for each listed member. */
  allSee(expected: Record<string, MemberState>, observers: string[] = [...this.nodes.keys()]): boolean {
    return observers.every((o) => Object.entries(expected).every(([m, s]) => this.state(o, m) === s));
  }

  /** (observer, member) pairs where a live node holds a live member dead. */
  falseDeaths(): string[] {
    const out: string[] = [];
    for (const o of this.nodes.keys()) {
      for (const m of this.get(o).members()) {
        if (m.state === 'dead' && this.nodes.has(m.name) && this.get(m.name).generation === m.generation) {
          out.push(`${o}→${m.name}`);
        }
      }
    }
    return out;
  }
}

/** The address of node `n${i}` in clusters made by joinedMemoryCluster. */
export const memoryAddr = (i: number): string => `10.0.0.${i + 1}:7946`;

/** Nodes n0 … n(count−1), all joined through n0; throws unless every node sees all alive within 30 s. */
export function joinedMemoryCluster(count: number, seed: number, config: EngineConfig): MemoryCluster {
  const c = new MemoryCluster(seed, config);
  for (let i = 0; i < count; i++) c.add(`n${i}`, memoryAddr(i));
  for (let i = 1; i < count; i++) c.get(`n${i}`).join([memoryAddr(0)], c.now);
  const ok = c.runUntil(() => [...c.nodes.values()].every((x) => x.node.counts().alive === count), 30_000);
  if (!ok) throw new Error(`${count} nodes did not join within 30 s of virtual time`);
  return c;
}
