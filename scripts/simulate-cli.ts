// Runs `grapevine simulate … --json` as its own process (so wall times include start-up and each run
// gets a fresh heap) and returns its report with the command that produced it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { SimReport } from '../src/agent/sim/scenarios.js';

const exec = promisify(execFile);

export interface SimRun {
  command: string;
  report: SimReport;
  processWallS: number;
}

/** `heapMb` raises V8's old-space limit for runs of 30,000 nodes and more. */
export async function simulate(args: string[], heapMb?: number): Promise<SimRun> {
  const argv = ['simulate', ...args, '--json'];
  const nodeFlags = heapMb ? [`--max-old-space-size=${heapMb}`] : [];
  const command = ['node', ...nodeFlags, '--import tsx cmd/grapevine.ts', ...argv].join(' ');
  process.stderr.write(`running: ${command}\n`);
  const start = performance.now();
  const { stdout } = await exec(
    process.execPath,
    [...nodeFlags, '--import', 'tsx', 'cmd/grapevine.ts', ...argv],
    {
      maxBuffer: 1 << 20,
    },
  );
  const processWallS = (performance.now() - start) / 1000;
  return { command, report: JSON.parse(stdout) as SimReport, processWallS };
}

/** The anti-entropy repair run both simulator benches use: 1,000 nodes × 10,000 keys, `divergent` newer on one. */
export function antiEntropyRun(divergent: number): Promise<SimRun> {
  const args = ['--nodes', '1000', '--scenario', 'antientropy', '--keys', '10000', '--duration', '30'];
  return simulate([...args, '--divergent', String(divergent)]);
}
