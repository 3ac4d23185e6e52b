// Runs the simulator benchmark matrix through the real CLI (one process per figure, so wall times
// include start-up) and prints a markdown section with every figure and the command that produced it.
// Usage: node --import tsx scripts/bench-sim.ts [--quick]   (--quick skips the 10,000-node runs)
import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { promisify } from 'node:util';
import type { SimReport } from '../src/agent/sim/scenarios.js';
import { maxRelativeDeviation } from '../src/agent/sim/sim-metrics.js';

const exec = promisify(execFile);
const quick = process.argv.includes('--quick');

interface Run {
  command: string;
  report: SimReport;
  processWallS: number;
}

async function simulate(args: string[]): Promise<Run> {
  const argv = ['simulate', ...args, '--json'];
  const command = `node --import tsx cmd/grapevine.ts ${argv.join(' ')}`;
  process.stderr.write(`running: ${command}\n`);
  const start = performance.now();
  const { stdout } = await exec(process.execPath, ['--import', 'tsx', 'cmd/grapevine.ts', ...argv], {
    maxBuffer: 1 << 20,
  });
  const processWallS = (performance.now() - start) / 1000;
  return { command, report: JSON.parse(stdout) as SimReport, processWallS };
}

const fmt = (x: number | null, digits = 2) => (x === null ? 'n/a' : x.toFixed(digits));
const code = (s: string) => `\`${s}\``;

async function main(): Promise<void> {
  const big = quick ? [] : [10_000];
  const lines: string[] = [];
  const cpu = cpus();
  lines.push('## Simulator', '');
  lines.push(
    `Machine: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}. ` +
      'Every figure is one run of the command shown (seed 1, 1–5 ms latency, no loss unless stated).',
    '',
  );

  // 1. Rumor spread vs the bound, with and without direct mail.
  const spread: Run[] = [];
  for (const n of [1_000, ...big]) {
    spread.push(await simulate(['--nodes', String(n), '--scenario', 'rumor', '--duration', '30']));
    spread.push(
      await simulate(['--nodes', String(n), '--scenario', 'rumor', '--duration', '30', '--no-direct-mail']),
    );
  }
  lines.push('### Rounds until 99.9 % informed', '');
  lines.push(
    '| N | direct mail | rounds p99.9 | rounds p100 | bound | 1.2 × bound | p99.9 ≤ 1.2 × bound | command |',
  );
  lines.push('|---:|---|---:|---:|---:|---:|---|---|');
  for (const { report: r, command } of spread) {
    const limit = 1.2 * r.bound_rounds;
    const ok = r.rounds_p999 !== null && r.rounds_p999 <= limit;
    lines.push(
      `| ${r.nodes} | ${r.direct_mail ? 'on' : 'off'} | ${fmt(r.rounds_p999)} | ${fmt(r.rounds_p100)} | ` +
        `${fmt(r.bound_rounds)} | ${fmt(limit)} | ${ok ? 'yes' : 'NO'} | ${code(command)} |`,
    );
  }
  lines.push(
    '',
    'A round is one gossip interval (200 ms); bound = log_{f+1}(N) + ln(N)/f with f = 3. Rumors also ride on',
    'probe packets, and with direct mail on the origin mails up to 32 peers at once, so both beat plain push.',
    '',
  );

  // 2. Load per node vs N (same scenario and duration).
  const load: Run[] = [];
  for (const n of [10, 100])
    load.push(await simulate(['--nodes', String(n), '--scenario', 'rumor', '--duration', '30']));
  for (const run of spread) if (run.report.direct_mail) load.push(run);
  const rates = load.map((r) => r.report.msgs_per_node_per_s);
  lines.push('### Messages per node per second', '');
  lines.push('| N | packets/node/s | protocol msgs/node/s | bytes/node/s | command |');
  lines.push('|---:|---:|---:|---:|---|');
  for (const { report: r, command } of load) {
    lines.push(
      `| ${r.nodes} | ${fmt(r.msgs_per_node_per_s, 3)} | ${fmt(r.protocol_msgs_per_node_per_s, 3)} | ` +
        `${fmt(r.bytes_per_node_per_s, 1)} | ${code(command)} |`,
    );
  }
  lines.push(
    '',
    `Max deviation of packets/node/s from their mean (${fmt(rates.reduce((s, v) => s + v, 0) / rates.length, 3)}): ` +
      `${fmt(100 * maxRelativeDeviation(rates), 1)} %. All packets of all types (probes, acks, gossip, direct mail, ` +
      'anti-entropy) over the whole 30 s virtual run.',
    '',
  );

  // 3. Simulator speed.
  const biggest = spread.find((r) => r.report.nodes === 10_000 && r.report.direct_mail);
  lines.push('### Simulator speed', '');
  if (biggest) {
    lines.push(
      `10,000 nodes × 30 s virtual: ${fmt(biggest.report.wall_s, 1)} s simulating, ` +
        `${fmt(biggest.processWallS, 1)} s for the whole process (target ≤ 120 s). Command: ${code(biggest.command)}`,
      '',
    );
  } else lines.push('(skipped with --quick)', '');

  // 4. Anti-entropy cost of one divergent key.
  const ae = await simulate([
    '--nodes',
    '1000',
    '--scenario',
    'antientropy',
    '--keys',
    '10000',
    '--divergent',
    '1',
    '--duration',
    '30',
  ]);
  const a = ae.report;
  lines.push('### Anti-entropy repair', '');
  lines.push(
    '| N | keys M | divergent K | repaired everywhere after | all AE bytes until then | bytes of repairing exchanges | exchanges | command |',
  );
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---|');
  lines.push(
    `| ${a.nodes} | ${a.keys} | ${a.divergent} | ${fmt(a.repair_s)} s | ${a.antientropy_bytes ?? 'n/a'} | ${a.antientropy_repair_bytes ?? 'n/a'} | ` +
      `${a.antientropy_exchanges ?? 'n/a'} | ${code(ae.command)} |`,
  );
  lines.push(
    '',
    'The divergent entry is written on one node with GossipNode.injectDivergentKv (no rumor, no direct mail);',
    'bytes are everything sent on the stream channel by all nodes (anti-entropy is its only user), both',
    'directions, including exchanges that found the peers already equal; exchanges start every ~1 s per node.',
    "The repairing-exchange bytes are those sessions' sent + received bytes as the repaired side reports them.",
    '',
  );

  // 5. Failure detection.
  const fail = await simulate(['--nodes', '1000', '--scenario', 'failure', '--duration', '60']);
  const f = fail.report;
  lines.push('### Failure detection', '');
  lines.push('| N | first detection | last detection | false deaths | command |');
  lines.push('|---:|---:|---:|---:|---|');
  lines.push(
    `| ${f.nodes} | ${fmt(f.detect_first_s)} s | ${fmt(f.detect_last_s)} s | ${f.false_deaths} | ${code(fail.command)} |`,
  );
  lines.push('');

  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
