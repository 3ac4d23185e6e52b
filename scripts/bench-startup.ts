// Start-up cost of one agent process from the built output: spawn → its `agent started` line (wall
// time), the CPU seconds it used to get there (user + system, /proc) and its RSS then. One agent at a
// time, so the figures are the process's own cost, not contention between agents.
// Usage: USAGE below (also printed by --help).
// The agent runs as the bin runs it: `node <the shebang's V8 flags> ENTRY agent …`.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, rssMb } from './bench-serf/proc-usage.js';
import { scriptArgs } from './script-args.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const USAGE =
  'npm run build && node --import tsx scripts/bench-startup.ts [--runs 10] [--entry dist/cmd/grapevine.js]';
const { values } = scriptArgs(USAGE, {
  options: {
    runs: { type: 'string', default: '10' },
    entry: { type: 'string', default: 'dist/cmd/grapevine.js' },
  },
});
const runs = Number(values.runs);
if (!Number.isSafeInteger(runs) || runs < 1) throw new Error('--runs needs a positive integer');
const entry = resolve(ROOT, values.entry);

/** The V8 flags of the entry's shebang line (`#!/usr/bin/env -S node FLAGS`). */
function shebangFlags(file: string): string[] {
  const first = readFileSync(file, 'utf8').split('\n', 1)[0] ?? '';
  if (!first.startsWith('#!')) return [];
  return first
    .replace(/^#!\/usr\/bin\/env (-S )?node ?/, '')
    .split(' ')
    .filter(Boolean);
}

interface Sample {
  wallS: number;
  cpuS: number;
  rssMB: number;
}

function startOnce(flags: string[]): Promise<Sample> {
  const t0 = performance.now();
  const args = [
    ...flags,
    entry,
    'agent',
    '--name',
    'bench',
    '--bind',
    '127.0.0.1:0',
    '--http',
    '127.0.0.1:0',
  ];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  return new Promise<Sample>((done, fail) => {
    proc.on('exit', (code) => fail(new Error(`agent exited (${code}) before it started: ${err}`)));
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (!out.includes('"agent started"')) return;
      const wallS = (performance.now() - t0) / 1000;
      const sample = { wallS, cpuS: cpuSeconds(proc.pid!), rssMB: rssMb(proc.pid!) };
      proc.removeAllListeners('exit');
      proc.on('exit', () => done(sample));
      proc.kill('SIGKILL');
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const flags = shebangFlags(entry);
const samples: Sample[] = [];
const loadBefore = loadavg()[0]!;
for (let i = 0; i < runs; i++) samples.push(await startOnce(flags));
const row = (key: keyof Sample) => {
  const xs = samples.map((s) => s[key]);
  return { min: Math.min(...xs), median: median(xs), max: Math.max(...xs) };
};
console.log(
  JSON.stringify({
    entry: values.entry,
    flags: flags.join(' '),
    runs,
    spawnToStartedS: row('wallS'),
    cpuS: row('cpuS'),
    rssMB: row('rssMB'),
    load1: [loadBefore, loadavg()[0]],
  }),
);
