// RSS and steady CPU of real agents from the build output under different V8 flags: for each variant
// a 10-agent cluster on 127.0.0.1 (probe interval 1 s, the demo's 100 ms gossip interval), CPU from
// /proc over 30 s after 15 s of settling, RSS (VmRSS) at the end; the variants alternate per round.
//   npm run build && node --import tsx scripts/bench-v8-flags.ts [--rounds 2] [--nodes 10]

import { AGENT_NODE_FLAGS } from '../src/demo/agent-command-line.js';
import { measureFleet } from './fleet-usage.js';
import { intOption } from './int-option.js';

const VARIANTS: Record<string, string[]> = {
  'as shipped': [...AGENT_NODE_FLAGS],
  '--no-opt': [...AGENT_NODE_FLAGS, '--no-opt'],
  '--lite-mode': [...AGENT_NODE_FLAGS, '--lite-mode'],
};
const rounds = intOption('rounds', 2);
const nodes = intOption('nodes', 10);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (let round = 1; round <= rounds; round++) {
  for (const [name, flags] of Object.entries(VARIANTS)) {
    const { cpuPct, rssMb } = await measureFleet({
      nodes,
      nodeFlags: flags,
      agentArgs: [],
      settleS: 15,
      windowS: 30,
    });
    console.log(
      JSON.stringify({
        round,
        flags: name,
        cpuPctMean: cpuPct.reduce((a, b) => a + b, 0) / cpuPct.length,
        rssMedianMB: median(rssMb),
      }),
    );
  }
}
