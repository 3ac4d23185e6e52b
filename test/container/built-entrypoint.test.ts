// What the container image runs, checked without a container engine: the build output (the esbuild
// bundle of scripts/bundle.mjs, as the Dockerfile's build stage makes it) plus production dependencies
// only (as the Dockerfile's `npm prune --omit=dev` leaves them), started as `node dist/cmd/grapevine.js`
// from a directory it must not write to.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('container entry point (build output, production dependencies only)', function () {
  this.timeout(240_000);
  let app: string;

  before(() => {
    app = mkdtempSync(join(tmpdir(), 'gv-image-'));
    for (const f of ['package.json', 'package-lock.json']) cpSync(join(ROOT, f), join(app, f));
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), '--outdir', join(app, 'dist')], {
      stdio: 'inherit',
    });
    execFileSync(
      'npm',
      ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
      {
        cwd: app,
        stdio: 'inherit',
      },
    );
  });

  after(() => rmSync(app, { recursive: true, force: true }));

  it('has no dev dependency installed', () => {
    const modules = readdirSync(join(app, 'node_modules'));
    for (const dev of ['tsx', 'typescript', 'mocha', 'chai', 'playwright-core'])
      expect(modules).to.not.include(dev);
  });

  it('runs the agent from dist, serves /healthz and /metrics, leaves on SIGTERM, writes no files', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'gv-cwd-'));
    const agent = await startAgent(app, cwd);
    expect((await fetch(`${agent.httpAddr}/healthz`)).status).to.equal(200);
    expect(await (await fetch(`${agent.httpAddr}/metrics`)).text()).to.include('grapevine_members');
    agent.proc.kill('SIGTERM');
    expect(await agent.exited).to.equal(0);
    expect(readdirSync(cwd)).to.deep.equal([]);
  });

  it('the agent is bundled: dist/ and package.json alone, without node_modules, run it', async () => {
    // What makes start-up cheap (one file instead of ~260 modules, docs/benchmarks.md) also means the
    // agent resolves no package at run time; only the operator needs node_modules.
    const bare = mkdtempSync(join(tmpdir(), 'gv-bare-'));
    try {
      cpSync(join(app, 'dist'), join(bare, 'dist'), { recursive: true });
      cpSync(join(app, 'package.json'), join(bare, 'package.json'));
      const agent = await startAgent(bare, bare);
      const info = (await (await fetch(`${agent.httpAddr}/v1/info`)).json()) as { version?: string };
      agent.proc.kill('SIGTERM');
      expect(await agent.exited).to.equal(0);
      expect(info.version).to.equal(
        (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version,
      );
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it('prints usage and exits 2 for an unknown command', () => {
    let status = 0;
    try {
      execFileSync(process.execPath, [join(app, 'dist', 'cmd', 'grapevine.js'), 'bogus'], { stdio: 'pipe' });
    } catch (err) {
      status = (err as { status: number }).status;
    }
    expect(status).to.equal(2);
  });
});

/** `node APP/dist/cmd/grapevine.js agent` on loopback, once it has logged `agent started`. */
async function startAgent(
  appDir: string,
  cwd: string,
): Promise<{ proc: ChildProcess; httpAddr: string; exited: Promise<number | null> }> {
  const proc = spawn(
    process.execPath,
    [
      join(appDir, 'dist', 'cmd', 'grapevine.js'),
      'agent',
      '--name',
      'c1',
      '--bind',
      '127.0.0.1:0',
      '--http',
      '127.0.0.1:0',
    ],
    { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production' } },
  );
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  let stderr = '';
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const started = await new Promise<{ httpAddr: string }>((resolve, reject) => {
    const timer = setInterval(() => {
      const line = out.split('\n').find((l) => l.includes('"agent started"'));
      if (line) {
        clearInterval(timer);
        resolve(JSON.parse(line) as { httpAddr: string });
      }
      if (proc.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`agent exited: ${stderr}`));
      }
    }, 50);
  });
  return { proc, httpAddr: started.httpAddr, exited };
}
