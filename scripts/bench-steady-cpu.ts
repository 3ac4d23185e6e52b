// Steady-state CPU of real agents from the build output: a 10-agent cluster on 127.0.0.1 with the
// engine's default timings (probe interval 1 s, probe timeout 500 ms, gossip interval 200 ms), CPU
// from /proc over 60 s after 30 s of warm-up (an agent's first ~30 s include V8 compiling its code:
// 0.68 % in the first 20 s, ~0.25 % after 30 s).
// It also prints the main thread's context switches per second: about one per wake-up of the loop.
//   npm run build && node --import tsx scripts/bench-steady-cpu.ts [--nodes 10] [--warm-up-s 30] [--window-s 60]
import { AGENT_NODE_FLAGS } from '../src/demo/agent-command-line.js';
import { measureFleet } from './fleet-usage.js';
import { intOption } from './int-option.js';

const nodes = intOption('nodes', 10);
const warmUpS = intOption('warm-up-s', 30);
const windowS = intOption('window-s', 60);

const { cpuPct: pct, switchesPerS } = await measureFleet({
  nodes,
  nodeFlags: AGENT_NODE_FLAGS,
  agentArgs: [],
  settleS: warmUpS,
  windowS,
});
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(
  `${nodes} agents, CPU per agent over ${windowS} s after ${warmUpS} s: mean ${mean(pct).toFixed(3)} %, ` +
    `min ${Math.min(...pct).toFixed(3)} %, max ${Math.max(...pct).toFixed(3)} %; ` +
    `main-thread context switches ${mean(switchesPerS).toFixed(1)}/s per agent`,
);
