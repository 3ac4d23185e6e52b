// An agent loads the packages that most agents never need only when it needs them (issue 11, agent
// memory): re2js when a query with a tag filter first arrives, yaml only when a config file is given.
// Real agent processes, with a Node module-loader hook that logs every module they load to stderr.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'chai';
import type { MemberView } from '../../src/agent/agent-api.js';
import type { QueryResult } from '../../src/agent/http/query-api.js';
import { agentArgs } from '../hardening/helpers.js';
import { AgentProcess } from '../support/agent-process.js';
import { eventually } from '../support/process-cluster.js';
import { runGrapevine } from '../support/run-cli.js';

const HOOKS = `export async function load(url, context, next) {
  if (url.startsWith('file:')) process.stderr.write('module-loaded ' + url + '\\n');
  return next(url, context);
}
`;

const loaded = (a: AgentProcess, pkg: string) => a.stderr.includes(`/node_modules/${pkg}/`);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('agent: packages loaded only when needed', function () {
  this.timeout(90_000);
  const agents: AgentProcess[] = [];
  let tmp: string;
  let env: Record<string, string>;

  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'gv-lazy-'));
    writeFileSync(join(tmp, 'hooks.mjs'), HOOKS);
    writeFileSync(
      join(tmp, 'register.mjs'),
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(tmp, 'hooks.mjs')).href)});\n`,
    );
    env = { NODE_OPTIONS: `--import=${pathToFileURL(join(tmp, 'register.mjs')).href}` };
  });
  after(async () => {
    for (const a of agents) await a.stop('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('re2js is loaded when a tag-filtered query arrives, which is then answered', async () => {
    const web = await AgentProcess.start(agentArgs('web-1'), env);
    agents.push(web);
    const db = await AgentProcess.start([...agentArgs('db-1'), '--join', web.gossipAddr], env);
    agents.push(db);
    expect((await runGrapevine('tags', 'set', 'role=web', '--agent', web.url)).code).to.equal(0);
    const tagged = async () =>
      (await db.json<MemberView[]>('/v1/members')).some((m) => m.name === 'web-1' && m.tags.role === 'web');
    expect(await eventually(tagged, 20_000)).to.equal(true);
    // The hook works (commander and others are seen), and neither agent has needed RE2 nor YAML yet.
    expect(web.stderr).to.include('module-loaded');
    for (const a of [web, db]) {
      expect(loaded(a, 're2js'), a.name).to.equal(false);
      expect(loaded(a, 'yaml'), a.name).to.equal(false);
    }

    const r = await runGrapevine(
      'query',
      'ping',
      '--tag',
      'role=w.b',
      '--timeout',
      '2s',
      '--json',
      '--agent',
      db.url,
    );
    expect(r.code, r.err).to.equal(0);
    // web-1 got the query before it had the engine, loaded it, and then passed the filter and acked.
    expect((JSON.parse(r.out) as QueryResult).acks).to.deep.equal(['web-1']);
    expect(loaded(web, 're2js')).to.equal(true);
    expect(loaded(db, 're2js')).to.equal(true);
  });

  it('the bundle keeps re2js and yaml in chunks that an agent does not load at start, and leaves pino transports out', async () => {
    const out = join(tmp, 'build');
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs'), '--outdir', out]);
    const proc = spawn(
      process.execPath,
      [
        join(out, 'cmd', 'grapevine.js'),
        'agent',
        '--name',
        'b1',
        '--bind',
        '127.0.0.1:0',
        '--http',
        '127.0.0.1:0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
    );
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    proc.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    try {
      expect(await eventually(async () => stdout.includes('"agent started"'), 20_000), stderr).to.equal(true);
    } finally {
      proc.kill('SIGKILL');
    }
    const files = [...stderr.matchAll(/^module-loaded (file:\S+)$/gm)].map((m) => fileURLToPath(m[1]!));
    // esbuild marks each bundled module with a `// node_modules/<package>/…` comment.
    const bundled = (pkg: string) =>
      files.filter((f) => readFileSync(f, 'utf8').includes(`// node_modules/${pkg}/`));
    expect(bundled('pino'), 'the check sees bundled packages').to.have.length(1);
    expect(bundled('re2js')).to.deep.equal([]);
    expect(bundled('yaml')).to.deep.equal([]);
    // pino's transports (worker threads) are left out of the bundle (scripts/bundle.mjs).
    expect(bundled('thread-stream')).to.deep.equal([]);
  });

  it('yaml is loaded when a config file is given', async () => {
    const file = join(tmp, 'agent.yaml');
    writeFileSync(file, 'logLevel: info\n');
    const a = await AgentProcess.start([...agentArgs('cfg-1'), '--config', file], env);
    agents.push(a);
    expect(loaded(a, 'yaml')).to.equal(true);
    expect(loaded(a, 're2js')).to.equal(false);
  });
});
