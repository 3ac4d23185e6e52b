// The simulator at scale (issue 12): rumor spread against N and the push bound, load per node without
// and with loss, and anti-entropy cost against divergence. Every figure is one `grapevine simulate`
// process; the rows go to JSON, the plots are drawn from that JSON, the tables are printed as markdown.
// Usage: USAGE below (also printed by --help).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { maxRelativeDeviation } from '../../src/agent/sim/sim-metrics.js';
import { scriptArgs, usageError } from '../script-args.js';
import { antiEntropyRun, simulate } from '../simulate-cli.js';
import { antiEntropyChart, loadChart, spreadChart } from './plots.js';
import {
  type AntiEntropyRow,
  antiEntropyRow,
  type LoadRow,
  loadRow,
  type SpreadRow,
  spreadRow,
} from './rows.js';

const USAGE = 'node --import tsx scripts/bench-sim-scale/main.ts [--max-nodes 100000] [--quick] [--out DIR]';
const { values: opts } = scriptArgs(USAGE, {
  options: {
    'max-nodes': { type: 'string', default: '100000' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'docs/benchmarks/sim' },
    /** What code ran (a snapshot without .git can name it). */
    commit: { type: 'string' },
  },
});
const maxNodes = opts.quick ? 3_000 : Number(opts['max-nodes']);
if (!Number.isInteger(maxNodes) || maxNodes < 100) {
  usageError('--max-nodes must be an integer of at least 100', USAGE);
}

const SIZES = [100, 300, 1_000, 3_000, 10_000, 30_000, 100_000].filter((n) => n <= maxNodes);
/** Load runs stop here: per-node load is flat in N, and each 30 s run at 100,000 nodes takes minutes. */
const LOAD_MAX_NODES = 10_000;
/** The rumor is fired 1 s in and reaches everyone within ~1.5 s even at 30,000 nodes: 5 s is enough. */
const SPREAD_DURATION_S = 5;
const DIVERGENT = opts.quick ? [1, 100] : [1, 10, 100, 1_000];
const heapFor = (n: number) => (n >= 30_000 ? 16_384 : undefined);

const fmt = (x: number | null, digits = 2) => (x === null ? 'n/a' : x.toFixed(digits));
const code = (s: string) => `\`${s}\``;

function headCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}
const commit = opts.commit ?? headCommit();

const load0 = loadavg()[0] ?? 0;
const spread: SpreadRow[] = [];
for (const n of SIZES)
  for (const mail of [false, true]) {
    const args = ['--nodes', String(n), '--scenario', 'rumor', '--duration', String(SPREAD_DURATION_S)];
    spread.push(spreadRow(await simulate(mail ? args : [...args, '--no-direct-mail'], heapFor(n))));
  }
const load: LoadRow[] = [];
for (const n of SIZES.filter((s) => s <= LOAD_MAX_NODES))
  for (const loss of ['0', '0.1'])
    load.push(
      loadRow(
        await simulate(['--nodes', String(n), '--scenario', 'rumor', '--duration', '30', '--loss', loss]),
      ),
    );
const antiEntropy: AntiEntropyRow[] = [];
for (const k of DIVERGENT) antiEntropy.push(antiEntropyRow(await antiEntropyRun(k)));
const load1 = loadavg()[0] ?? 0;

const cpu = cpus();
const machine = `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}`;
const when = new Date().toISOString();
mkdirSync(opts.out, { recursive: true });
writeFileSync(
  join(opts.out, 'sim-scale.json'),
  `${JSON.stringify({ when, commit, machine, loadAverage: [load0, load1], spread, load, antiEntropy }, null, 2)}\n`,
);
const subtitle = `grapevine simulate at ${commit}, seed 1, 1–5 ms latency; ${when.slice(0, 10)}`;
writeFileSync(join(opts.out, 'sim-spread.svg'), await spreadChart(spread, subtitle));
writeFileSync(join(opts.out, 'sim-load.svg'), await loadChart(load, subtitle));
writeFileSync(join(opts.out, 'sim-antientropy.svg'), await antiEntropyChart(antiEntropy, subtitle));

const out: string[] = [];
out.push(
  `Commit ${commit}. Machine: ${machine}; load average ${fmt(load0, 1)} at the start, ${fmt(load1, 1)} at the end.`,
  '',
);
out.push(
  '| N | direct mail | informed | hops p99.9 | hops p100 | push bound | time p99.9 | time p100 | wall | command |',
);
out.push('|---:|---|---:|---:|---:|---:|---:|---:|---:|---|');
for (const r of spread)
  out.push(
    `| ${r.nodes} | ${r.directMail ? 'on' : 'off'} | ${r.informed ?? 'n/a'} | ${r.hopsP999 ?? 'n/a'} | ${r.hopsP100 ?? 'n/a'} | ` +
      `${fmt(r.pushBound)} | ${fmt(r.timeP999S)} s | ${fmt(r.timeP100S)} s | ${fmt(r.wallS, 1)} s | ${code(r.command)} |`,
  );
out.push('', '| N | loss | packets/node/s | protocol msgs/node/s | bytes/node/s | false deaths | command |');
out.push('|---:|---:|---:|---:|---:|---:|---|');
for (const r of load)
  out.push(
    `| ${r.nodes} | ${r.loss * 100} % | ${fmt(r.packetsPerNodeS, 3)} | ${fmt(r.protocolMsgsPerNodeS, 3)} | ` +
      `${fmt(r.bytesPerNodeS, 1)} | ${r.falseDeaths} | ${code(r.command)} |`,
  );
const lossFree = load.filter((r) => r.loss === 0).map((r) => r.packetsPerNodeS);
const ratios = SIZES.filter((n) => n <= LOAD_MAX_NODES).map((n) => {
  const at = (loss: number) => load.find((r) => r.nodes === n && r.loss === loss);
  const [a, b] = [at(0), at(0.1)];
  return a && b
    ? `${n}: ${fmt(b.packetsPerNodeS / a.packetsPerNodeS)}× / ${fmt(b.bytesPerNodeS / a.bytesPerNodeS)}×`
    : `${n}: n/a`;
});
out.push(
  '',
  `Under 10 % loss, packets / bytes per node against the loss-free run — ${ratios.join(', ')}. Loss-free ` +
    `packets/node/s stay within ${fmt(100 * maxRelativeDeviation(lossFree), 1)} % of their mean ` +
    `(${fmt(lossFree.reduce((sum, v) => sum + v, 0) / lossFree.length, 3)}).`,
);
out.push(
  '',
  '| N | keys | divergent | repaired everywhere after | AE bytes until then | bytes of repairing exchanges | exchanges | command |',
);
out.push('|---:|---:|---:|---:|---:|---:|---:|---|');
for (const r of antiEntropy)
  out.push(
    `| ${r.nodes} | ${r.keys} | ${r.divergent} | ${fmt(r.repairS)} s | ${r.bytesUntilRepaired ?? 'n/a'} | ` +
      `${r.repairBytes ?? 'n/a'} | ${r.exchanges ?? 'n/a'} | ${code(r.command)} |`,
  );
process.stdout.write(`${out.join('\n')}\n`);
