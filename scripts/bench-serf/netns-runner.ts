// Runs one benchmark run in a fresh network namespace (`gvbench-…`): starts the driver inside it,
// reads its result, and always removes every process in the namespace and the namespace itself.
import { fileURLToPath } from 'node:url';
import { exec, NetNamespace } from '../../test/support/netns.js';
import { onLines } from './cluster-adapter.js';
import type { RunResult, RunSpec } from './types.js';

const DRIVER = fileURLToPath(new URL('./run-in-netns.ts', import.meta.url));

/** Runs the spec; never throws for a failed measurement (the result's `error` says what failed). */
export async function runInNetns(spec: RunSpec, run: number, hardTimeoutMs: number): Promise<RunResult> {
  const ns = await NetNamespace.create('gvbench');
  try {
    const driver = ns.spawn(process.execPath, ['--import', 'tsx', DRIVER, JSON.stringify({ ...spec, run })], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let last = '';
    let stderr = '';
    onLines(driver.stdout, (line) => {
      if (line.trim()) last = line;
    });
    driver.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-4000);
    });
    const timer = setTimeout(() => driver.kill('SIGTERM'), hardTimeoutMs);
    const code = await new Promise<number | null>((resolve) => driver.on('exit', (c) => resolve(c)));
    clearTimeout(timer);
    try {
      return JSON.parse(last) as RunResult;
    } catch {
      const why = `driver exited ${code} without a result${stderr ? `: ${stderr.trim()}` : ''}`;
      return {
        system: spec.system,
        n: spec.n,
        run,
        ...(spec.tuning ? { tuning: spec.tuning } : {}),
        error: why,
      };
    }
  } finally {
    await killEverythingIn(ns.name);
    await ns.delete();
  }
}

/** SIGKILLs every process still in the namespace (agents outlive a driver that was killed). */
async function killEverythingIn(name: string): Promise<void> {
  const { stdout } = await exec('ip', ['netns', 'pids', name]);
  for (const pid of stdout.split('\n').filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
