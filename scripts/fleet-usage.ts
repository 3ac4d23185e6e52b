// CPU and memory of a fleet of real agents from the build output: start N agents on 127.0.0.1, let
// them settle, read user+system CPU from /proc over a window and VmRSS at its end, stop them.
// Shared by scripts/bench-v8-flags.ts and scripts/bench-steady-cpu.ts.
import { resolveEngineConfig } from '../src/agent/config/engine-schema.js';
import { DEMO_TIMINGS } from '../src/demo/agent-command-line.js';
import { AgentFleet } from '../src/demo/agent-fleet.js';
import { cpuSeconds, mainThreadSwitches, rssMb } from './bench-serf/proc-usage.js';

const ENTRY = new URL('../dist/cmd/grapevine.js', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FleetUsageOptions {
  nodes: number;
  /** Node's flags before the entry (the bin's own are AGENT_NODE_FLAGS). */
  nodeFlags: readonly string[];
  /** Agent flags besides the fleet's own (name, addresses, seeds) and the default timings. */
  agentArgs: readonly string[];
  settleS: number;
  windowS: number;
}

/**
 * The engine's default timings. The fleet starts agents with the demo's fast ones (DEMO_TIMINGS);
 * these come after them, so a measured agent runs as shipped unless agentArgs say otherwise.
 */
export function defaultTimings(): string[] {
  const d = resolveEngineConfig({});
  const args: Array<[flag: string, value: number]> = [
    ['--probe-interval-ms', d.probeIntervalMs],
    ['--probe-timeout-ms', d.probeTimeoutMs],
    ['--gossip-interval-ms', d.gossipIntervalMs],
    ['--suspicion-mult', d.suspicionMult],
  ];
  const covered = new Set(args.map(([flag]) => flag));
  const missed = DEMO_TIMINGS.filter((a) => a.startsWith('--') && !covered.has(a));
  if (missed.length > 0) throw new Error(`defaultTimings does not reset ${missed.join(', ')}`);
  return args.flatMap(([flag, v]) => [flag, String(v)]);
}

/** Per agent: CPU % and main-thread context switches per second over the window, and VmRSS (MB) at its end. */
export async function measureFleet(
  o: FleetUsageOptions,
): Promise<{ cpuPct: number[]; switchesPerS: number[]; rssMb: number[] }> {
  const fleet = new AgentFleet({
    nodes: o.nodes,
    command: { file: process.execPath, args: [...o.nodeFlags, ENTRY] },
    extraAgentArgs: [...defaultTimings(), ...o.agentArgs],
  });
  try {
    await fleet.start();
    const pids = fleet.agents().map((a) => a.pid!);
    await sleep(o.settleS * 1000);
    const before = pids.map(cpuSeconds);
    const switches = pids.map(mainThreadSwitches);
    await sleep(o.windowS * 1000);
    return {
      cpuPct: pids.map((p, i) => ((cpuSeconds(p) - before[i]!) / o.windowS) * 100),
      switchesPerS: pids.map((p, i) => (mainThreadSwitches(p) - switches[i]!) / o.windowS),
      rssMb: pids.map(rssMb),
    };
  } finally {
    await fleet.stopAll();
  }
}
