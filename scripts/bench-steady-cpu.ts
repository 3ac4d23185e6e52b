// Steady-state CPU of real agents from the build output: a 10-agent cluster on 127.0.0.1 (probe
// interval 1 s, gossip interval 200 ms: the defaults), CPU from /proc over 60 s after 30 s of warm-up
// (an agent's first ~30 s include V8 compiling its code: 0.68 % in the first 20 s, ~0.25 % after 30 s).
//   npm run build && node --import tsx scripts/bench-steady-cpu.ts [--nodes 10] [--warm-up-s 30] [--window-s 60]
import { AGENT_NODE_FLAGS } from '../src/demo/agent-command-line.js';
import { AgentFleet } from '../src/demo/agent-fleet.js';
import { cpuSeconds } from './bench-serf/proc-usage.js';
import { intOption } from './int-option.js';

const ENTRY = new URL('../dist/cmd/grapevine.js', import.meta.url).pathname;
const nodes = intOption('nodes', 10);
const warmUpS = intOption('warm-up-s', 30);
const windowS = intOption('window-s', 60);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const fleet = new AgentFleet({
  nodes,
  command: { file: process.execPath, args: [...AGENT_NODE_FLAGS, ENTRY] },
  extraAgentArgs: ['--probe-interval-ms', '1000', '--gossip-interval-ms', '200'],
});
try {
  await fleet.start();
  const pids = fleet.agents().map((a) => a.pid!);
  await sleep(warmUpS * 1000);
  const before = pids.map(cpuSeconds);
  await sleep(windowS * 1000);
  const pct = pids.map((p, i) => ((cpuSeconds(p) - before[i]!) / windowS) * 100);
  const mean = pct.reduce((a, b) => a + b, 0) / pct.length;
  console.log(
    `${nodes} agents, CPU per agent over ${windowS} s after ${warmUpS} s: mean ${mean.toFixed(3)} %, ` +
      `min ${Math.min(...pct).toFixed(3)} %, max ${Math.max(...pct).toFixed(3)} %`,
  );
} finally {
  await fleet.stopAll();
}
