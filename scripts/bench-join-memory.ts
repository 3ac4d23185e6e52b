// How fast the core forms a cluster when every node joins one seed at the same moment, on the
// deterministic in-memory network (virtual time, 1–5 ms latency, no CPU contention): protocol time
// only, from the join calls until every node sees all N alive. Issue 12; see docs/benchmarks.md.
// Usage: USAGE below (also printed by --help).
// --stagger-ms S: node i joins i × S ms after node 1 (real agents come up one by one: the Serf bench's
// start-up is ~0.19 s per agent at N = 100); time is counted from the last join call.

import { MemoryCluster } from '../test/support/memory-cluster.js';
import { scriptArgs } from './script-args.js';

const USAGE =
  'node --import tsx scripts/bench-join-memory.ts [--sizes 10,30,50,100] [--seeds 10] [--stagger-ms 0]';
const { values } = scriptArgs(USAGE, {
  options: {
    sizes: { type: 'string', default: '10,30,50,100' },
    seeds: { type: 'string', default: '10' },
    'stagger-ms': { type: 'string', default: '0' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const seeds = Number(values.seeds);
const staggerMs = Number(values['stagger-ms']);
const addrOf = (i: number) => `10.0.${i >> 8}.${(i & 255) + 1}:7946`;
const LIMIT_MS = 60_000;

console.log('| N | runs | min (s) | median (s) | max (s) |');
console.log('|---:|---:|---:|---:|---:|');
for (const n of sizes) {
  const times: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const c = new MemoryCluster(seed);
    const names = Array.from({ length: n }, (_, i) => `node-${i}`);
    for (const [i, name] of names.entries()) c.add(name, addrOf(i));
    for (const [i, name] of names.entries()) {
      if (i === 0) continue;
      if (staggerMs > 0 && i > 1) c.run(staggerMs);
      c.get(name).join([addrOf(0)], c.now);
    }
    const t0 = c.now;
    while (c.now - t0 < LIMIT_MS && !names.every((o) => c.get(o).counts().alive === n)) c.run(10);
    times.push(c.now - t0);
  }
  times.sort((a, b) => a - b);
  const s = (ms: number) => (ms / 1000).toFixed(2);
  console.log(
    `| ${n} | ${seeds} | ${s(times[0]!)} | ${s(times[Math.floor(times.length / 2)]!)} | ${s(times.at(-1)!)} |`,
  );
}
