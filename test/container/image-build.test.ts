// The Dockerfile built by a real buildah (vfs storage, chroot isolation) from a locally made base
// image tagged docker.io/library/node:20-bookworm-slim (scripts/build-image-base.sh: no registry can
// be pulled from here), then the CLI and an agent run from the built image. Needs root, buildah and
// debootstrap; skipped with the reason otherwise (fails on CI).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { AGENT_NODE_FLAGS } from '../../src/demo/agent-command-line.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STORE = join(process.env.GRAPEVINE_CACHE || join(homedir(), '.cache', 'grapevine'), 'buildah');
const TAG = `localhost/grapevine:test-${process.pid}`;
const run = promisify(execFile);
const DEV_ONLY = ['typescript', 'tsx', 'mocha', '@grafana/grafana-foundation-sdk', '@biomejs/biome'];
const buildahArgs = (args: string[]) => [
  '--root',
  join(STORE, 'root'),
  '--runroot',
  join(STORE, 'runroot'),
  '--storage-driver',
  'vfs',
  ...args,
];
/** `buildah run` of a command in the working container (chroot isolation: the host's network). */
const runArgs = (ctr: string, command: string[]) => ['run', '--isolation', 'chroot', ctr, '--', ...command];
const buildah = (args: string[], timeout = 600_000) =>
  run('buildah', buildahArgs(args), { cwd: ROOT, timeout, maxBuffer: 64 * 1024 * 1024 });

async function missing(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'needs root (buildah chroot isolation, debootstrap)';
  for (const tool of ['buildah', 'debootstrap']) {
    try {
      await run('sh', ['-c', `command -v ${tool}`]);
    } catch {
      return `${tool} is not installed (apt-get install -y buildah debootstrap)`;
    }
  }
  return undefined;
}

describe('container image: the Dockerfile built with a real buildah, run from the image', function () {
  // Cold: debootstrap (~30 s to minutes under load) + npm ci inside the build; warm: the build only.
  this.timeout(1_200_000);
  let ctr = '';

  before(async function () {
    const why = await missing();
    if (why) {
      if (process.env.CI) throw new Error(why);
      console.log(`    SKIPPED: ${why}`);
      this.skip();
    }
    await run('bash', [join(ROOT, 'scripts', 'build-image-base.sh')], { timeout: 900_000 });
  });

  after(async () => {
    if (ctr) await buildah(['rm', ctr]).catch(() => undefined);
    await buildah(['rmi', '-f', TAG]).catch(() => undefined);
  });

  it('builds the unmodified Dockerfile (both stages: typecheck and bundle, production dependencies)', async () => {
    const { stdout } = await buildah([
      'bud',
      '--isolation',
      'chroot',
      '--pull=never',
      '--layers=false',
      '-t',
      TAG,
      '.',
    ]);
    expect(stdout).to.match(/COMMIT|Writing manifest/);
    const { stdout: inspect } = await buildah(['inspect', '--type', 'image', TAG]);
    const config = JSON.parse(inspect) as {
      OCIv1: { config: { User: string; Entrypoint: string[]; Cmd: string[] } };
    };
    expect(config.OCIv1.config.User).to.equal('node');
    expect(config.OCIv1.config.Entrypoint).to.deep.equal([
      'node',
      ...AGENT_NODE_FLAGS,
      'dist/cmd/grapevine.js',
    ]);
    expect(config.OCIv1.config.Cmd).to.deep.equal(['agent']);
    ctr = (await buildah(['from', '--pull=never', TAG])).stdout.trim();
  });

  it('`grapevine --help` runs from the image, as the unprivileged user, without dev dependencies', async function () {
    if (!ctr) this.skip();
    const { stdout } = await buildah(runArgs(ctr, ['node', 'dist/cmd/grapevine.js', '--help']));
    expect(stdout)
      .to.match(/agent/)
      .and.to.match(/operator/);
    const { stdout: id } = await buildah(runArgs(ctr, ['id', '-u']));
    expect(id.trim()).to.equal('1000');
    // `npm prune --omit=dev` leaves empty scope folders behind; what counts is what resolves.
    const probe = `for (const m of ${JSON.stringify(DEV_ONLY)}) { try { require.resolve(m); console.log(m); } catch {} }`;
    const { stdout: present } = await buildah(runArgs(ctr, ['node', '-e', probe]));
    expect(present.trim().split('\n').filter(Boolean)).to.deep.equal([]);
    const { stdout: prod } = await buildah(
      runArgs(ctr, ['node', '-e', "console.log(require.resolve('prom-client'))"]),
    );
    expect(prod).to.match(/node_modules\/prom-client/);
    // The image runs the esbuild bundle (scripts/bundle.mjs), not tsc's one file per module.
    const { stdout: dist } = await buildah(
      runArgs(ctr, ['node', '-e', "console.log(require('fs').readdirSync('dist').sort().join(' '))"]),
    );
    expect(dist.trim()).to.equal('cmd page');
  });

  it('an agent started from the image serves /healthz and /metrics', async function () {
    if (!ctr) this.skip();
    // chroot isolation shares the host network: bind loopback on a kernel-picked port.
    const agent: ChildProcess = spawn(
      'buildah',
      buildahArgs(
        runArgs(ctr, [
          'node',
          'dist/cmd/grapevine.js',
          'agent',
          '--name',
          'image-test',
          '--bind',
          '127.0.0.1:0',
          '--http',
          '127.0.0.1:0',
        ]),
      ),
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`no 'agent started' line: ${out}`)), 60_000);
        agent.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          const m =
            /"msg":"agent started".*?"httpAddr":"([^"]+)"|"httpAddr":"([^"]+)".*?"msg":"agent started"/.exec(
              out,
            );
          if (m) {
            clearTimeout(timer);
            resolve(m[1] ?? m[2]!);
          }
        });
        agent.on('exit', (code) => reject(new Error(`agent exited (${code}): ${out}`)));
      });
      const health = await fetch(`${url}/healthz`);
      expect(health.status).to.equal(200);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).to.match(/^grapevine_agent_info\{.*node="image-test".*\} 1$/m);
    } finally {
      agent.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 1_000));
      agent.kill('SIGKILL');
    }
  });
});
