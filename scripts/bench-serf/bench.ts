// The side-by-side benchmark: for each N and run, one Grapevine cluster and one Serf cluster, each in
// its own network namespace, in alternating order (A/B, B/A, …) so drift in the machine's load hits
// both alike. Returns every run's figures and their summary.
import { runInNetns } from './netns-runner.js';
import { type FigureSummary, summarize } from './summary.js';
import type { RunResult, RunSpec, SystemName } from './types.js';

export interface BenchOptions {
  sizes: number[];
  runs: number;
  mode: RunSpec['mode'];
  probeIntervalMs: number;
  steadySeconds: number;
  fpMinutes: number;
  grapevineCli: string;
  /** Both by default; one of them to look at a single system. */
  systems?: SystemName[];
  /** Told about each finished run (progress). */
  onRun?: (r: RunResult) => void;
}

export interface BenchReport {
  startedAt: string;
  options: Omit<BenchOptions, 'onRun'>;
  machine: { cpus: number; loadAverage: number[]; serfVersion: string; node: string };
  results: RunResult[];
  summary: FigureSummary[];
}

export async function runBench(o: BenchOptions): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (const n of o.sizes) {
    for (let run = 0; run < o.runs; run++) {
      const order: SystemName[] = run % 2 === 0 ? ['grapevine', 'serf'] : ['serf', 'grapevine'];
      for (const system of order.filter((s) => o.systems?.includes(s) ?? true)) {
        const spec: RunSpec = {
          system,
          n,
          mode: o.mode,
          probeIntervalMs: o.probeIntervalMs,
          steadySeconds: o.steadySeconds,
          waitTimeoutMs: 60_000 + n * 1_000,
          grapevineCli: o.grapevineCli,
          ...(o.mode === 'false-positives'
            ? { fp: { minutes: o.fpMinutes, udpLossPercent: 10, freezeMs: 2_000, freezeEveryMs: 30_000 } }
            : {}),
        };
        // Join + every wait, bounded; plus the false-positive window.
        const hardTimeoutMs =
          6 * spec.waitTimeoutMs +
          o.steadySeconds * 1000 +
          o.fpMinutes * 60_000 * (o.mode === 'false-positives' ? 1 : 0);
        const r = await runInNetns(spec, run, hardTimeoutMs);
        results.push(r);
        o.onRun?.(r);
      }
    }
  }
  return results;
}

export { summarize };
