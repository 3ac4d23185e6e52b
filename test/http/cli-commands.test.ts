// The run-time CLI commands (issue 11) through the real command tree against real agent processes:
// version, members filters and --detailed, info, join, tags, kv list, monitor, keygen, keys list.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { MemberView } from '../../src/agent/agent-api.js';
import type { AgentInfo } from '../../src/agent/http/control-api.js';
import { reserveAgentPorts } from '../../src/demo/free-ports.js';
import { AgentProcess } from '../support/agent-process.js';
import { eventually } from '../support/process-cluster.js';
import { runGrapevine } from '../support/run-cli.js';

const FAST = ['--probe-interval-ms', '300', '--probe-timeout-ms', '150', '--gossip-interval-ms', '60'];
const base = (name: string) => ['--name', name, '--bind', '127.0.0.1:0', '--http', '127.0.0.1:0', ...FAST];

describe('cmd: run-time commands against real agents', function () {
  this.timeout(90_000);
  const agents: AgentProcess[] = [];
  let a1: AgentProcess;
  let a2: AgentProcess;
  let tmp: string;
  const cli = (agent: AgentProcess, ...argv: string[]) => runGrapevine(...argv, '--agent', agent.url);

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'gv-cli-cmds-'));
    a1 = await AgentProcess.start(base('web-1'));
    agents.push(a1);
    a2 = await AgentProcess.start([...base('db-1'), '--join', a1.gossipAddr]);
    agents.push(a2);
    expect(
      await eventually(async () => (await a1.json<MemberView[]>('/v1/members')).length === 2, 15_000),
    ).to.equal(true);
  });
  after(async () => {
    for (const a of agents) await a.stop('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('version and --version print the package version and wire protocol', async () => {
    const v = await runGrapevine('--version');
    expect(v.code).to.equal(0);
    expect(v.out).to.match(/^grapevine \d+\.\d+\.\d+ \(wire protocol 1, node v\d+/);
    const j = await runGrapevine('version', '--json');
    expect(JSON.parse(j.out)).to.include({ protocol: 1 });
  });

  it('members filters by name and tag regex, and --detailed shows versions', async () => {
    let r = await cli(a1, 'members', '--name', 'web-.*', '--json');
    expect((JSON.parse(r.out) as MemberView[]).map((m) => m.name)).to.deep.equal(['web-1']);
    r = await cli(a1, 'members', '--name', 'web'); // anchored: 'web' alone matches nothing
    expect(r.out.trimEnd().split('\n')).to.have.length(1);
    r = await cli(a1, 'members', '--tag', 'grapevine/protocol=1', '--state', 'alive', '--json');
    expect((JSON.parse(r.out) as MemberView[]).map((m) => m.name)).to.deep.equal(['db-1', 'web-1']);
    r = await cli(a1, 'members', '--detailed');
    const [head, row] = r.out.trimEnd().split('\n');
    expect(head?.split(/\s+/)).to.deep.equal([
      'NAME',
      'ADDRESS',
      'STATE',
      'INC',
      'AGE',
      'VERSION',
      'PROTOCOL',
      'GENERATION',
      'TAGS',
    ]);
    const version = JSON.parse((await runGrapevine('version', '--json')).out).version as string;
    expect(row?.split(/\s+/).slice(5, 7)).to.deep.equal([version, '1']);
    const bad = await cli(a1, 'members', '--tag', 'role=[');
    expect(bad.code).to.equal(2);
    expect(bad.err).to.match(/invalid regular expression/);
  });

  it('info shows identity, versions, members and runtime', async () => {
    const r = await cli(a2, 'info', '--json');
    const info = JSON.parse(r.out) as AgentInfo;
    expect(info.name).to.equal('db-1');
    expect(info.addr).to.equal(a2.gossipAddr);
    expect(info.members.alive).to.equal(2);
    expect(info.runtime.rssBytes).to.be.greaterThan(0);
    expect(info.config.join).to.deep.equal([a1.gossipAddr]);
    const text = await cli(a2, 'info');
    expect(text.out).to.match(/^name: +db-1$/m);
    expect(text.out).to.match(/^members: +2 alive, 0 suspect, 0 dead, 0 left$/m);
  });

  it('join ADDR makes a lone agent join now; an unreachable address is exit 1, one line', async () => {
    const lone = await AgentProcess.start(base('lone'));
    agents.push(lone);
    const [dead] = await reserveAgentPorts('127.0.0.1', 1);
    const fail = await cli(lone, 'join', `127.0.0.1:${dead!.gossip}`, '--timeout-ms', '3000');
    expect(fail.code).to.equal(1);
    expect(fail.err).to.equal(`grapevine: join failed: 127.0.0.1:${dead!.gossip}: connection refused\n`);
    const ok = await cli(lone, 'join', a1.gossipAddr);
    expect(ok.code, ok.err).to.equal(0);
    expect(ok.out).to.equal(`joined through ${a1.gossipAddr}\n`);
    expect(
      await eventually(
        async () => (await a2.json<MemberView[]>('/v1/members')).some((m) => m.name === 'lone'),
        15_000,
      ),
    ).to.equal(true);
    await lone.stop();
  });

  it('tags set/delete change tags at run time and spread to other members', async () => {
    let r = await cli(a2, 'tags', 'set', 'role=db', 'zone=a');
    expect(r.code, r.err).to.equal(0);
    expect(r.out).to.match(/role=db/);
    const tagsOnA1 = async () =>
      (await a1.json<MemberView[]>('/v1/members')).find((m) => m.name === 'db-1')?.tags ?? {};
    expect(await eventually(async () => (await tagsOnA1()).zone === 'a', 15_000)).to.equal(true);
    r = await cli(a2, 'tags', 'delete', 'zone');
    expect(r.code, r.err).to.equal(0);
    expect(await eventually(async () => (await tagsOnA1()).zone === undefined, 15_000)).to.equal(true);
    expect((await tagsOnA1()).role).to.equal('db');
    r = await cli(a1, 'members', '--tag', 'role=d.*', '--json');
    expect((JSON.parse(r.out) as MemberView[]).map((m) => m.name)).to.deep.equal(['db-1']);
    r = await cli(a2, 'tags', 'set', 'grapevine/version=9');
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/set by the agent itself/);
    r = await cli(a2, 'tags', 'set', 'novalue');
    expect(r.code).to.equal(2);
  });

  it('kv list [prefix] lists keys in order with sizes and writers', async () => {
    for (const [k, v] of [
      ['app/b', 'two'],
      ['app/a', '1'],
      ['other', 'x'],
    ])
      expect((await cli(a1, 'kv', 'put', k!, v!)).code).to.equal(0);
    const r = await cli(a1, 'kv', 'list', 'app/', '--json');
    const list = JSON.parse(r.out) as Array<{ key: string; bytes: number; writer: string }>;
    expect(list.map((e) => [e.key, e.bytes, e.writer])).to.deep.equal([
      ['app/a', 1, 'web-1'],
      ['app/b', 3, 'web-1'],
    ]);
    // Replicated: the other agent lists them too.
    expect(
      await eventually(
        async () => (await cli(a2, 'kv', 'list')).out.split('\n').filter(Boolean).length === 3,
        15_000,
      ),
    ).to.equal(true);
  });

  it('monitor streams membership changes and events, as JSON lines or readable lines', async () => {
    for (const json of [true, false]) {
      let out = '';
      const stop = new AbortController();
      const { runCli } = await import('../../cmd/program.js');
      const done = runCli(
        ['monitor', '--agent', a1.url, ...(json ? ['--json'] : [])],
        {
          out: (t) => {
            out += t;
          },
          err: () => {},
        },
        { monitorStop: stop.signal },
      );
      await new Promise((r) => setTimeout(r, 300));
      expect((await cli(a2, 'event', 'deploy', `v${json}`)).code).to.equal(0);
      expect(await eventually(async () => out.includes(`v${json}`), 10_000)).to.equal(true);
      stop.abort();
      expect(await done).to.equal(0);
      const line = out.split('\n').find((l) => l.includes(`v${json}`))!;
      if (json) expect(JSON.parse(line)).to.include({ kind: 'user-event', name: 'deploy', origin: 'db-1' });
      else
        expect(line).to.match(
          /^\d{4}-\d\d-\d\dT[\d:.]+Z {2}event deploy "vfalse" {2}via (rumor|mail|anti-entropy) from db-1/,
        );
    }
  });

  it('keygen prints a new AES-256 key; keys list shows a keyring file by fingerprint', async () => {
    const k1 = (await runGrapevine('keygen')).out.trim();
    const k2 = (await runGrapevine('keygen')).out.trim();
    expect(Buffer.from(k1, 'base64')).to.have.length(32);
    expect(k1).to.not.equal(k2);
    const file = join(tmp, 'keyring');
    writeFileSync(file, `${k1}\n${k2}\n`);
    const r = await runGrapevine('keys', 'list', '--keyring-file', file);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).to.have.length(2);
    expect(lines[0]).to.match(/^[0-9a-f]{16} {2}primary$/);
    expect(lines[1]).to.match(/^[0-9a-f]{16}$/);
    expect(r.out).to.not.include(k1);
    const missing = await runGrapevine('keys', 'list', '--keyring-file', join(tmp, 'nope'));
    expect(missing.code).to.equal(1);
    expect(missing.err).to.equal(`grapevine: keyring file not found: ${join(tmp, 'nope')}\n`);
  });
});
