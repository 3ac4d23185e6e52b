// The side-by-side benchmark: for each N and run, one Grapevine cluster and one Serf cluster, each in
// its own network namespace, in alternating order (A/B, B/A, …) so drift in the machine's load hits
// both alike. Returns every run's figures and their summary.
import { runInNetns } from './netns-runner.js';
import { type FigureSummary, summarize } from './summary.js';
import type { RunResult, RunSpec, SystemName, Tuning } from './types.js';

export interface BenchOptions {
  sizes: number[];
  runs: number;
  mode: RunSpec['mode'];
  probeIntervalMs: number;
  steadySeconds: number;
  /** See RunSpec.warmUpSeconds. */
  warmUpSeconds: number;
  fpMinutes: number;
  grapevineCli: string;
  /** V8 flags for Grapevine agents besides the shipped ones (RunSpec.grapevineNodeFlags). */
  grapevineNodeFlags?: string[];
  /** Freeze schedule of the false-positive window (default 2 s every 30 s); tests shorten it. */
  freezeMs?: number;
  freezeEveryMs?: number;
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
        const r = await runOne({ system, n, run, mode: o.mode }, o);
        results.push(r);
        o.onRun?.(r);
      }
    }
  }
  return results;
}

/** The trade-off curve: each Grapevine tuning and each Serf profile, per N and run. */
export interface TradeOffOptions
  extends Omit<BenchOptions, 'mode' | 'steadySeconds' | 'warmUpSeconds' | 'systems'> {
  grapevine: Tuning[];
  serf: Tuning[];
}

export async function runTradeOff(o: TradeOffOptions): Promise<RunResult[]> {
  const results: RunResult[] = [];
  const points: Array<{ system: SystemName; tuning: Tuning }> = [
    ...o.grapevine.map((tuning) => ({ system: 'grapevine' as const, tuning })),
    ...o.serf.map((tuning) => ({ system: 'serf' as const, tuning })),
  ];
  for (const n of o.sizes) {
    for (let run = 0; run < o.runs; run++) {
      // Alternate the order from run to run, so drift in the machine's load hits every point alike.
      for (const p of run % 2 === 0 ? points : [...points].reverse()) {
        const r = await runOne(
          { ...p, n, run, mode: 'trade-off' },
          { ...o, steadySeconds: 0, warmUpSeconds: 0 },
        );
        results.push(r);
        o.onRun?.(r);
      }
    }
  }
  return results;
}

interface RunKey {
  system: SystemName;
  n: number;
  run: number;
  mode: RunSpec['mode'];
  tuning?: Tuning;
}

async function runOne(k: RunKey, o: Omit<BenchOptions, 'mode' | 'sizes' | 'runs'>): Promise<RunResult> {
  const faults = k.mode !== 'figures';
  const spec: RunSpec = {
    system: k.system,
    n: k.n,
    mode: k.mode,
    probeIntervalMs: o.probeIntervalMs,
    steadySeconds: o.steadySeconds,
    warmUpSeconds: o.warmUpSeconds,
    waitTimeoutMs: 60_000 + k.n * 1_000,
    grapevineCli: o.grapevineCli,
    ...(o.grapevineNodeFlags?.length ? { grapevineNodeFlags: o.grapevineNodeFlags } : {}),
    ...(faults
      ? {
          fp: {
            minutes: o.fpMinutes,
            udpLossPercent: 10,
            freezeMs: o.freezeMs ?? 2_000,
            freezeEveryMs: o.freezeEveryMs ?? 30_000,
          },
        }
      : {}),
    ...(k.tuning ? { tuning: k.tuning } : {}),
  };
  // Join + every wait, bounded; plus the false-positive window.
  const hardTimeoutMs =
    6 * spec.waitTimeoutMs + (o.steadySeconds + o.warmUpSeconds) * 1000 + (faults ? o.fpMinutes * 60_000 : 0);
  return runInNetns(spec, k.run, hardTimeoutMs);
}

export { summarize };
