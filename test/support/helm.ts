// The real `helm` CLI for chart tests, built by scripts/build-helm.sh into the test-binary cache
// (or HELM_BIN). Each call gets its own HELM_* config/cache/data dirs, so tests never read or write
// the user's Helm state, and a kubeconfig when it talks to an apiserver.
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HELM_VERSION = 'v3.22.0';
export const CHART_PATH = fileURLToPath(new URL('../../charts/grapevine', import.meta.url));

export function helmPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HELM_BIN) return env.HELM_BIN;
  const root = env.GRAPEVINE_CACHE || join(homedir(), '.cache', 'grapevine');
  return join(root, 'testbin', `helm-${HELM_VERSION}`, 'helm');
}

function helmFound(): boolean {
  try {
    accessSync(helmPath(), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Like skipWithoutKubeBinaries: skip with a hint locally, fail on CI. */
export function skipWithoutHelm(ctx: Mocha.Context): void {
  if (helmFound()) return;
  const message = `helm not found at ${helmPath()}; build it with: bash scripts/build-helm.sh (or set HELM_BIN)`;
  if (process.env.CI) throw new Error(message);
  console.log(`    SKIPPED: ${message}`);
  ctx.skip();
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

const stateDir = mkdtempSync(join(tmpdir(), 'gv-helm-state-'));

/** Runs helm; never throws on a non-zero exit (the caller asserts on `code`). */
export function helm(
  args: string[],
  opts: { kubeconfig?: string; timeoutMs?: number } = {},
): Promise<HelmResult> {
  return new Promise((resolve) => {
    execFile(
      helmPath(),
      args,
      {
        timeout: opts.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          HOME: stateDir,
          HELM_CONFIG_HOME: join(stateDir, 'config'),
          HELM_CACHE_HOME: join(stateDir, 'cache'),
          HELM_DATA_HOME: join(stateDir, 'data'),
          ...(opts.kubeconfig ? { KUBECONFIG: opts.kubeconfig } : {}),
        },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr: stderr || (err && code !== 0 ? String(err.message) : '') });
      },
    );
  });
}

/** `helm template` of the repository's chart; throws with helm's message if rendering fails. */
export async function helmTemplate(values: string[] = [], release = 'gv', namespace = 'grapevine-system') {
  const r = await helm(['template', release, CHART_PATH, '--namespace', namespace, ...values]);
  if (r.code !== 0) throw new Error(`helm template failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}
