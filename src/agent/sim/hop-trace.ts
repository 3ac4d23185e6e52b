// Traces how one rumor reaches every node: for each node, the first copy it received — its hop count,
// when, from whom, and what carried it (a gossip push, direct mail, or a rumor riding on a probe, an
// ack, a relay...). Checks hop counting per infection: a node's hops must be its informer's hops + 1
// (hops incremented on relay, or a rumor re-sent with more hops when taken again, would break it).
// scripts/investigate-hops.ts prints it; docs/benchmarks.md has the finding.
import type { EngineConfig } from '../config/engine-schema.js';
import type { Message } from '../wire/messages.js';
import { decodePacket } from '../wire/packet-codec.js';
import { DEFAULT_NETWORK } from './sim-network.js';
import { SIM_EPOCH_MS, Simulator } from './simulator.js';

const EVENT = 'hop-trace';
const FIRE_AT_MS = 1_000;

export interface FirstCopy {
  hops: number;
  /** ms after the rumor was fired. */
  afterMs: number;
  /** The informer's node index (the origin: itself). */
  from: number;
  carrier: string;
}

export interface HopTrace {
  nodes: number;
  /** Per node; undefined when the rumor never reached it. */
  first: Array<FirstCopy | undefined>;
  /** First copies whose hop count is not the informer's + 1. */
  inconsistent: number;
}

export function traceRumorHops(o: {
  nodes: number;
  seed: number;
  config: EngineConfig;
  runMs?: number;
}): HopTrace {
  const n = o.nodes;
  const first: Array<FirstCopy | undefined> = new Array(n);
  let fired = Number.NaN;
  const sim = new Simulator({
    nodes: n,
    seed: o.seed,
    config: o.config,
    network: DEFAULT_NETWORK,
    onEvent: (i, e, now) => {
      if (e.type !== 'user-event' || e.name !== EVENT || first[i]) return;
      first[i] = { hops: e.rumor.hops, afterMs: now - fired, from: -1, carrier: e.via };
    },
  });
  let inconsistent = 0;
  // Each node's receive is wrapped: the packet that brings its first copy is decoded afterwards.
  sim.nodes.forEach((node, i) => {
    const receive = node.receive.bind(node);
    node.receive = (from, bytes, channel, now) => {
      const before = first[i];
      receive(from, bytes, channel, now);
      const after = first[i];
      if (before !== undefined || after === undefined) return;
      const res = decodePacket(bytes, { cluster: o.config.cluster, keyring: null, maxBytes: 1 << 24 });
      if (!res.ok) return;
      const msgs: Message[] = res.packet.messages;
      const ev = msgs.find((m) => m.t === 'user-event' && m.name === EVENT);
      if (ev?.t !== 'user-event') return;
      const others = msgs.filter((m) => m.t !== 'user-event').map((m) => m.t);
      after.carrier =
        others.length === 0 ? 'gossip push' : others[0] === 'mail' ? 'direct mail' : `on ${others[0]}`;
      after.from = sim.indexOf(res.packet.sender.name) ?? -1;
      if (after.hops !== ev.rumor.hops + 1 || first[after.from]?.hops !== ev.rumor.hops) inconsistent++;
    };
  });
  const origin = sim.rng.int(n);
  sim.at(SIM_EPOCH_MS + FIRE_AT_MS, () => {
    fired = sim.now;
    first[origin] = { hops: 0, afterMs: 0, from: origin, carrier: 'origin' };
    sim.withNode(origin, (node, now) => node.fireEvent(EVENT, Uint8Array.of(1), now));
  });
  sim.runUntil(SIM_EPOCH_MS + FIRE_AT_MS + (o.runMs ?? 10_000));
  return { nodes: n, first, inconsistent };
}

/** Per hop count: how many nodes were first informed at it, the last of them when, and by what. */
export function hopTable(
  t: HopTrace,
): Array<{ hops: number; count: number; lastMs: number; via: Record<string, number> }> {
  const rows = new Map<
    number,
    { hops: number; count: number; lastMs: number; via: Record<string, number> }
  >();
  for (const f of t.first) {
    if (!f) continue;
    const row = rows.get(f.hops) ?? { hops: f.hops, count: 0, lastMs: 0, via: {} };
    row.count++;
    row.lastMs = Math.max(row.lastMs, f.afterMs);
    row.via[f.carrier] = (row.via[f.carrier] ?? 0) + 1;
    rows.set(f.hops, row);
  }
  return [...rows.values()].sort((a, b) => a.hops - b.hops);
}
