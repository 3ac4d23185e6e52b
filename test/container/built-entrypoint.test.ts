// What the container image runs, checked without a container engine: the TypeScript build output
// plus production dependencies only (as the Dockerfile's `npm prune --omit=dev` leaves them), started
// as `node dist/cmd/grapevine.js` from a directory it must not write to.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
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
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    execFileSync(
      process.execPath,
      [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(app, 'dist')],
      {
        stdio: 'inherit',
      },
    );
    cpSync(join(ROOT, 'src', 'demo', 'page'), join(app, 'dist', 'src', 'demo', 'page'), { recursive: true });
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
    const proc = spawn(
      process.execPath,
      [
        join(app, 'dist', 'cmd', 'grapevine.js'),
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
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    let stderr = '';
    proc.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const started = await new Promise<{ httpAddr: string }>((resolve, reject) => {
      const timer = setInterval(() => {
        const line = out.split('\n').find((l) => l.includes('"agent started"'));
        if (line) {
          clearInterval(timer);
          resolve(JSON.parse(line) as { httpAddr: string });
        }
        if (proc.exitCode !== null) reject(new Error(`agent exited: ${stderr}`));
      }, 50);
    });
    expect((await fetch(`${started.httpAddr}/healthz`)).status).to.equal(200);
    expect(await (await fetch(`${started.httpAddr}/metrics`)).text()).to.include('grapevine_members');
    proc.kill('SIGTERM');
    expect(await exited).to.equal(0);
    expect(readdirSync(cwd)).to.deep.equal([]);
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
