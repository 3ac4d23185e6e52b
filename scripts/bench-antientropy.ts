// Anti-entropy cost between two real GossipNodes holding the same 10,000 key/value entries:
// bytes of one exchange when the states are equal, and when K entries differ on one side.
// Counts every byte both sides put on the stream channel (packet headers included).
// Usage: USAGE below (also printed by --help).

import { resolveEngineConfig } from '../src/agent/config/engine-schema.js';
import { GossipNode } from '../src/agent/core/gossip-node.js';
import { createRng } from '../src/agent/runtime/rng.js';
import { injectDivergentKv } from '../src/agent/sim/divergence.js';
import { SharedStart } from '../src/agent/sim/shared-start.js';
import type { Channel } from '../src/agent/transport/transport.js';
import { Keyring } from '../src/agent/wire/keyring.js';
import type { KvEntry, MemberRecord } from '../src/agent/wire/messages.js';
import { scriptArgs } from './script-args.js';

const USAGE =
  'node --import tsx scripts/bench-antientropy.ts [--keys 10000] [--divergent 1] [--mode push-pull] [--encrypted]';
const { values } = scriptArgs(USAGE, {
  options: {
    keys: { type: 'string', default: '10000' },
    divergent: { type: 'string', default: '1' },
    mode: { type: 'string', default: 'push-pull' },
    encrypted: { type: 'boolean', default: false },
  },
});
const keys = Number(values.keys);
const divergent = Number(values.divergent);
const mode = values.mode as 'push' | 'pull' | 'push-pull';
const T0 = 1_767_225_600_000;

const config = resolveEngineConfig({
  cluster: 'prod-eu',
  antiEntropy: { enabled: false, mode },
  directMail: { enabled: false },
});
const names = ['grapevine-agent-7d9f8c6b5-x2kqz', 'grapevine-agent-7d9f8c6b5-m4wtl'];
const addrs = ['10.0.0.12:7946', '10.0.0.13:7946'];
const members: MemberRecord[] = names.map((name, i) => ({
  name,
  addr: addrs[i]!,
  generation: T0,
  incarnation: 0,
  state: 'alive',
  tags: { zone: 'eu-west-1a' },
}));
const kv: KvEntry[] = Array.from({ length: keys }, (_, i) => ({
  key: `config/service-${i}`,
  value: new TextEncoder().encode(`value-${i}`),
  clock: i + 1,
  writer: names[i % 2]!,
  at: T0,
}));
const keyring = values.encrypted ? new Keyring([new Uint8Array(32).fill(7)]) : null;
const shared = new SharedStart(members, kv, config.tombstoneTtlMs);
const stores = names.map(() => shared.stores(config));

let streamBytes = 0;
let packets = 0;
const queue: Array<{ to: number; bytes: Uint8Array; channel: Channel }> = [];
const nodes = names.map(
  (name, i) =>
    new GossipNode(
      { name, addr: addrs[i]!, generation: T0, config, tags: { zone: 'eu-west-1a' }, keyring },
      {
        rng: createRng(i + 1),
        stores: stores[i]!,
        out: {
          send: (to, bytes, channel) => {
            if (channel !== 'stream') return; // only the exchange is measured
            streamBytes += bytes.length;
            packets++;
            queue.push({ to: addrs.indexOf(to), bytes, channel });
          },
          event: () => {},
        },
      },
      T0,
    ),
);

function exchange(): { bytes: number; packets: number } {
  streamBytes = 0;
  packets = 0;
  nodes[0]!.startAntiEntropy(T0 + 1, addrs[1]);
  while (queue.length > 0) {
    const m = queue.shift()!;
    nodes[m.to]!.receive('x', m.bytes, m.channel, T0 + 1);
  }
  return { bytes: streamBytes, packets };
}

const equal = exchange();
for (let i = 0; i < divergent; i++) {
  const e = kv[(i * 7919) % keys]!;
  injectDivergentKv(
    stores[1]!,
    { ...e, value: new TextEncoder().encode('changed'), clock: e.clock + keys },
    T0 + 1,
  );
}
const repair = exchange();
const repaired = Array.from({ length: divergent }, (_, i) => kv[(i * 7919) % keys]!.key).every(
  (k) => new TextDecoder().decode(nodes[0]!.kvGet(k)) === 'changed',
);
console.log(
  JSON.stringify({
    keys,
    divergent,
    mode,
    encrypted: values.encrypted,
    equal_bytes: equal.bytes,
    equal_packets: equal.packets,
    repair_bytes: repair.bytes,
    repair_packets: repair.packets,
    repaired,
  }),
);
