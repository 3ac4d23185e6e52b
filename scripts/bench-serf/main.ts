// `npm run bench:serf`: Grapevine and Serf side by side (see docs/benchmarks.md). Writes
// <out>/serf-bench.json (every run) and SVG plots drawn from it, and prints the tables.
// Usage: USAGE below (also printed by --help).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { scriptArgs, usageError } from '../script-args.js';
import { type BenchReport, runBench, runTradeOff, summarize } from './bench.js';
import { falsePositivesChart, figuresChart, tradeOffChart } from './plots.js';
import { missingPrerequisite } from './prerequisites.js';
import { falsePositivesTable, figuresTable } from './report-table.js';
import { grapevineTunings, serfTunings, summarizeTradeOff, tradeOffTable } from './trade-off.js';
import type { RunResult, SerfProfile, SystemName } from './types.js';

const USAGE =
  "node --import tsx scripts/bench-serf/main.ts [--sizes 10,30,50,100] [--runs 3] [--quick] [--false-positives [--fp-minutes 10]] [--steady-s 30] [--warm-up-s 30] [--systems grapevine,serf] [--out docs/benchmarks/serf] [--node-flags=--lite-mode] (V8 flags for Grapevine's agents besides the shipped --max-semi-space-size=1) [--trade-off [--suspicion-mults 2,4,6] [--probe-timeouts-ms 200,500] [--serf-profiles lan,local]]";
const { values } = scriptArgs(USAGE, {
  options: {
    sizes: { type: 'string' },
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'false-positives': { type: 'boolean', default: false },
    'fp-minutes': { type: 'string' },
    'warm-up-s': { type: 'string' },
    'steady-s': { type: 'string' },
    'probe-interval-ms': { type: 'string', default: '1000' },
    out: { type: 'string', default: 'docs/benchmarks/serf' },
    systems: { type: 'string', default: 'grapevine,serf' },
    'trade-off': { type: 'boolean', default: false },
    'suspicion-mults': { type: 'string', default: '2,4,6' },
    'probe-timeouts-ms': { type: 'string', default: '200,500' },
    'serf-profiles': { type: 'string', default: 'lan,local' },
    'node-flags': { type: 'string', default: '' },
  },
});

function positiveInts(flag: string, text: string): number[] {
  const xs = text.split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isInteger(x) || x < 1)) {
    usageError(`--${flag}: expected positive integers separated by commas, got '${text}'`, USAGE);
  }
  return xs;
}

const quick = values.quick;
const tradeOffMode = values['trade-off'];
const fpMode = values['false-positives'] || tradeOffMode;
const sizes = positiveInts('sizes', values.sizes ?? (fpMode ? '20' : quick ? '10' : '10,30,50,100'));
if (sizes.some((n) => n < 3)) {
  usageError('--sizes: each N must be at least 3 (one agent is killed and one leaves)', USAGE);
}
const [runs] = positiveInts('runs', values.runs ?? (quick || fpMode ? '1' : '3'));
const [steadySeconds] = positiveInts('steady-s', values['steady-s'] ?? (quick ? '5' : '30'));
const [warmUpSeconds] = positiveInts('warm-up-s', values['warm-up-s'] ?? (quick ? '3' : '30'));
const [fpMinutes] = positiveInts('fp-minutes', values['fp-minutes'] ?? (quick ? '3' : '10'));
const [probeIntervalMs] = positiveInts('probe-interval-ms', values['probe-interval-ms']);
const systems = values.systems.split(',').map((s) => s.trim());
if (systems.length === 0 || systems.some((s) => s !== 'grapevine' && s !== 'serf')) {
  usageError(`--systems: expected grapevine, serf or both (comma-separated), got '${values.systems}'`, USAGE);
}
const mults = positiveInts('suspicion-mults', values['suspicion-mults']);
const timeouts = positiveInts('probe-timeouts-ms', values['probe-timeouts-ms']);
if (timeouts.some((t) => t >= probeIntervalMs!)) {
  usageError(`--probe-timeouts-ms: each must be below the probe interval (${probeIntervalMs} ms)`, USAGE);
}
const profiles = values['serf-profiles']
  .split(',')
  .map((p) => p.trim())
  .filter((p) => p !== '');
if (profiles.some((p) => p !== 'lan' && p !== 'local' && p !== 'wan')) {
  usageError(
    `--serf-profiles: expected lan, local and/or wan (comma-separated), got '${values['serf-profiles']}'`,
    USAGE,
  );
}
const grapevineCli = resolve('dist/cmd/grapevine.js');
// Extra V8 flags for Grapevine's agents (e.g. `--node-flags=--lite-mode`), to compare builds' flags.
const grapevineNodeFlags = values['node-flags'].split(/\s+/).filter((f) => f !== '');
if (grapevineNodeFlags.some((f) => !f.startsWith('--'))) {
  usageError(`--node-flags: expected V8/node flags starting with --, got '${values['node-flags']}'`, USAGE);
}
const out = resolve(values.out);

const missing = await missingPrerequisite(grapevineCli);
if (missing) {
  console.error(`bench serf: ${missing}`);
  process.exit(1);
}

const options = {
  sizes,
  runs: runs!,
  mode: fpMode ? ('false-positives' as const) : ('figures' as const),
  probeIntervalMs: probeIntervalMs!,
  steadySeconds: steadySeconds!,
  warmUpSeconds: warmUpSeconds!,
  fpMinutes: fpMinutes!,
  grapevineCli,
  grapevineNodeFlags,
  systems: systems as SystemName[],
};
const startedAt = new Date().toISOString();
const mode = tradeOffMode ? 'trade-off' : options.mode;
console.log(
  `bench serf: ${mode}, N = ${sizes.join(', ')}, ${options.runs} run(s) each, probe interval ${probeIntervalMs} ms`,
);
const onRun = (r: RunResult) =>
  console.log(
    `  ${r.system}${r.tuning ? ` (${r.tuning.label})` : ''} N=${r.n} run ${r.run}: ${r.error ? `FAILED: ${r.error}` : 'ok'}`,
  );
const grapevine = systems.includes('grapevine') ? grapevineTunings(mults, timeouts) : [];
const serf = systems.includes('serf') ? serfTunings(profiles as SerfProfile[]) : [];
const results = tradeOffMode
  ? await runTradeOff({ ...options, grapevine, serf, onRun })
  : await runBench({ ...options, onRun });
const machine = {
  cpus: availableParallelism(),
  loadAverage: loadavg(),
  serfVersion: execFileSync('serf', ['version'], { encoding: 'utf8' }).split('\n')[0] ?? '',
  node: process.version,
};
mkdirSync(out, { recursive: true });
const name = tradeOffMode ? 'serf-trade-off' : fpMode ? 'serf-false-positives' : 'serf-bench';
const subtitle = `${startedAt.slice(0, 16)} UTC, ${machine.cpus} CPUs, load ${machine.loadAverage[0]?.toFixed(1)}, ${options.runs} run(s), probe interval ${probeIntervalMs} ms`;
if (tradeOffMode) {
  const rows = summarizeTradeOff(results);
  const report = { startedAt, options: { ...options, mode, grapevine, serf }, machine, results, rows };
  writeFileSync(join(out, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(out, `${name}.svg`), await tradeOffChart(rows, subtitle));
  console.log(tradeOffTable(rows));
} else {
  const report: BenchReport = { startedAt, options, machine, results, summary: summarize(results) };
  writeFileSync(join(out, `${name}.json`), `${JSON.stringify(report, null, 2)}\n`);
  if (fpMode) {
    writeFileSync(join(out, `${name}.svg`), await falsePositivesChart(results, subtitle));
    console.log(falsePositivesTable(results));
  } else {
    writeFileSync(join(out, `${name}.svg`), await figuresChart(report.summary, subtitle));
    console.log(figuresTable(report.summary));
  }
}
console.log(`wrote ${join(out, `${name}.json`)} and ${name}.svg`);
if (results.some((r) => r.error)) process.exitCode = 1;
