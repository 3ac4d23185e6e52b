// Runs the simulator benchmark matrix through the real CLI (one process per figure, so wall times
// include start-up) and prints a markdown section with every figure and the command that produced it.
// Usage: node --import tsx scripts/bench-sim.ts [--quick]   (--quick skips the 10,000-node runs)
import { cpus } from 'node:os';
import { antiEntropyRun, type SimRun as Run, simulate } from './simulate-cli.js';

const quick = process.argv.includes('--quick');

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
  lines.push('### Rumor spread: hops and time until 99.9 % / 100 % informed', '');
  lines.push(
    '| N | direct mail | hops p99.9 | hops p100 | push bound (hops) | time p99.9 | time p100 | direct-mail packets (all nodes) | command |',
  );
  lines.push('|---:|---|---:|---:|---:|---:|---:|---:|---|');
  for (const { report: r, command } of spread) {
    lines.push(
      `| ${r.nodes} | ${r.direct_mail ? 'on' : 'off'} | ${r.hops_p999 ?? 'n/a'} | ${r.hops_p100 ?? 'n/a'} | ` +
        `${fmt(r.bound_rounds)} | ${fmt(r.time_p999_s)} s | ${fmt(r.time_p100_s)} s | ` +
        `${r.mail_packets} | ${code(command)} |`,
    );
  }
  lines.push(
    '',
    'Hops: transmissions on the path by which each node first heard the rumor (the origin is 0); push bound =',
    'log_{f+1}(N) + ln(N)/f with f = 3, the rounds plain push needs. Hops exceed it because a rumor rides on',
    'every packet (probes, acks, relays, gossip), so it makes several hops within one 200 ms gossip interval;',
    'the time columns show what that buys. Direct-mail packets are first sends, retries and acks of all',
    'nodes over the run (one event, mailed to up to `directMail.maxPeers` peers).',
    '',
  );

  // 2. Load per node without and with loss: `npm run bench:sim-scale` prints that table (N = 100 … 10,000).

  // 3. Simulator speed.
  const biggest = spread.find((r) => r.report.nodes === 10_000 && r.report.direct_mail);
  lines.push('### Simulator speed', '');
  if (biggest) {
    lines.push(
      `10,000 nodes × 30 s virtual: ${fmt(biggest.report.wall_s, 1)} s simulating, ` +
        `${fmt(biggest.processWallS, 1)} s for the whole process (target ≤ 30 s). Command: ${code(biggest.command)}`,
      '',
    );
  } else lines.push('(skipped with --quick)', '');

  // 4. Anti-entropy cost of one divergent key.
  const ae = await antiEntropyRun(1);
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
    "The divergent entry is written straight into one node's stores (Simulator.injectDivergentKv: no rumor, no direct mail);",
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
