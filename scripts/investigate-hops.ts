// Where the hop tail of rumor spread comes from (docs/benchmarks.md, next to the hop table): per hop
// count, how many nodes were first informed at it, when the last of them was, and what carried their
// first copy; and how many hop counts are not their informer's + 1 (a hop-count bug).
// Usage: USAGE below (also printed by --help).

import { resolveEngineConfig } from '../src/agent/config/engine-schema.js';
import { hopTable, traceRumorHops } from '../src/agent/sim/hop-trace.js';
import { scriptArgs } from './script-args.js';

const USAGE = 'node --import tsx scripts/investigate-hops.ts [--nodes 1000] [--seed 1] [--no-direct-mail]';
const { values } = scriptArgs(USAGE, {
  options: {
    nodes: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    'no-direct-mail': { type: 'boolean', default: false },
  },
});
const config = resolveEngineConfig({ directMail: { enabled: !values['no-direct-mail'] } });
const trace = traceRumorHops({ nodes: Number(values.nodes), seed: Number(values.seed), config });
const informed = trace.first.filter((f) => f !== undefined);
const lastMs = Math.max(...informed.map((f) => f.afterMs));
console.log(
  `informed ${informed.length} of ${trace.nodes} (last after ${lastMs.toFixed(0)} ms); hop counts not their informer's + 1: ${trace.inconsistent}`,
);
for (const r of hopTable(trace)) {
  const via = Object.entries(r.via)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  console.log(
    `hops ${String(r.hops).padStart(2)}: ${String(r.count).padStart(5)} nodes, last after ${r.lastMs.toFixed(0)} ms; via ${via}`,
  );
}
