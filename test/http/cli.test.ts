import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { formatAge, formatMembers } from '../../cmd/members-command.js';
import { createApi } from '../../src/agent/http/api.js';
import { type ServedApi, serveApi } from '../../src/net/serve-api.js';
import { runGrapevine as runClient } from '../support/run-cli.js';
import { FakeAgent, member } from './fake-agent.js';
import { waitFor } from './sse-client.js';

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function expectOneLineFailure(r: { code: number; out: string; err: string }, line: string | RegExp): void {
  expect(r.code).to.equal(1);
  expect(r.out).to.equal('');
  expect(r.err.endsWith('\n')).to.equal(true);
  expect(r.err.trimEnd().split('\n'), r.err).to.have.length(1);
  if (typeof line === 'string') expect(r.err).to.equal(`${line}\n`);
  else expect(r.err).to.match(line);
}

describe('cmd: agent client commands against a real API server', () => {
  let agent: FakeAgent;
  let served: ServedApi;
  let url: string;
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'grapevine-cli-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));
  beforeEach(async () => {
    agent = new FakeAgent();
    served = await serveApi(createApi(agent), '127.0.0.1:0');
    url = served.url;
  });
  afterEach(async () => {
    await served.close();
  });

  describe('members', () => {
    it('prints an aligned table sorted by name', async () => {
      const now = Date.now();
      agent.memberList = [
        member('web-2', '10.1.0.12:7946', 'suspect', 12, { zone: 'b' }, now - 90_000),
        member('a', '10.1.0.1:7946', 'alive', 0, { zone: 'a', role: 'db' }, 0),
        member('cache-node-long-name', '[fd00::1]:7946', 'dead', 3, {}, now - 3 * 3600_000),
      ];
      const r = await runClient('members', '--agent', url);
      expect(r.err).to.equal('');
      expect(r.code).to.equal(0);
      const lines = r.out.trimEnd().split('\n');
      expect(lines).to.have.length(4);
      expect(lines[0]).to.match(/^NAME\s+ADDRESS\s+STATE\s+INC\s+AGE\s+TAGS$/);
      expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).to.deep.equal([
        'a',
        'cache-node-long-name',
        'web-2',
      ]);
      expect(lines[1]?.split(/\s+/)).to.deep.equal([
        'a',
        '10.1.0.1:7946',
        'alive',
        '0',
        '-',
        'role=db,zone=a',
      ]);
      expect(lines[2]?.split(/\s+/)).to.deep.equal([
        'cache-node-long-name',
        '[fd00::1]:7946',
        'dead',
        '3',
        '3h',
        '-',
      ]);
      expect(lines[3]?.split(/\s+/).slice(3, 5)).to.deep.equal(['12', '90s']);
      // Every column starts at the same offset on every line.
      for (const heading of ['ADDRESS', 'STATE', 'INC', 'AGE', 'TAGS']) {
        const col = lines[0]?.indexOf(heading) ?? -1;
        for (const l of lines.slice(1)) expect(l[col - 1], `${heading} in '${l}'`).to.equal(' ');
        for (const l of lines.slice(1)) expect(l[col], `${heading} in '${l}'`).not.to.equal(' ');
      }
    });

    it('prints JSON with --json and filters with --state', async () => {
      let r = await runClient('members', '--agent', url, '--json');
      expect(r.code).to.equal(0);
      expect(JSON.parse(r.out)).to.deep.equal(agent.members().sort((a, b) => a.name.localeCompare(b.name)));
      r = await runClient('members', '--agent', url, '--json', '--state', 'alive', 'dead');
      expect((JSON.parse(r.out) as { name: string }[]).map((m) => m.name)).to.deep.equal([
        'node-a',
        'node-c',
      ]);
    });

    it('takes the agent address from GRAPEVINE_AGENT', async () => {
      const saved = process.env.GRAPEVINE_AGENT;
      process.env.GRAPEVINE_AGENT = url;
      try {
        const r = await runClient('members', '--json');
        expect(r.code).to.equal(0);
        expect(JSON.parse(r.out)).to.have.length(3);
      } finally {
        if (saved === undefined) delete process.env.GRAPEVINE_AGENT;
        else process.env.GRAPEVINE_AGENT = saved;
      }
    });
  });

  describe('event', () => {
    it('fires the event with its UTF-8 payload', async () => {
      const r = await runClient('event', 'deploy', 'v2 ✓', '--agent', url);
      expect(r.code).to.equal(0);
      expect(r.out).to.equal("event 'deploy' sent (6 bytes)\n");
      expect(agent.fired.map((f) => [f.name, Buffer.from(f.payload).toString()])).to.deep.equal([
        ['deploy', 'v2 ✓'],
      ]);
    });

    it('sends an empty payload when none is given; --json prints the answer', async () => {
      const r = await runClient('event', 'ping', '--agent', url, '--json');
      expect(r.code).to.equal(0);
      expect(JSON.parse(r.out)).to.deep.equal({ status: 'accepted', name: 'ping', payloadBytes: 0 });
      expect(agent.fired[0]?.payload.length).to.equal(0);
    });

    it('reports the agent refusing a too-long name in one line, exit 1', async () => {
      const r = await runClient('event', 'n'.repeat(200), '--agent', url);
      expectOneLineFailure(
        r,
        `grapevine: agent at ${url} answered 422: event name is 200 bytes; the limit is 128 bytes`,
      );
    });
  });

  describe('kv', () => {
    it('puts, gets and deletes a value', async () => {
      let r = await runClient('kv', 'put', 'app/db', 'postgres://x', '--agent', url);
      expect(r.code).to.equal(0);
      expect(r.out).to.equal("stored 'app/db' (12 bytes)\n");
      expect(Buffer.from(agent.kv.get('app/db') ?? []).toString()).to.equal('postgres://x');
      r = await runClient('kv', 'get', 'app/db', '--agent', url);
      expect(r).to.deep.equal({ code: 0, out: 'postgres://x\n', err: '' });
      r = await runClient('kv', 'get', 'app/db', '--agent', url, '--json');
      expect(JSON.parse(r.out)).to.deep.equal({
        key: 'app/db',
        value: 'postgres://x',
        valueBase64: Buffer.from('postgres://x').toString('base64'),
      });
      r = await runClient('kv', 'del', 'app/db', '--agent', url);
      expect(r).to.deep.equal({ code: 0, out: "deleted 'app/db'\n", err: '' });
      expect(agent.kv.has('app/db')).to.equal(false);
    });

    it('reports a missing key in one line, exit 1', async () => {
      expectOneLineFailure(
        await runClient('kv', 'get', 'nope', '--agent', url),
        "grapevine: key 'nope' not found",
      );
      expectOneLineFailure(
        await runClient('kv', 'del', 'nope', '--agent', url),
        "grapevine: key 'nope' not found",
      );
    });
  });

  describe('leave', () => {
    it('asks the agent to leave', async () => {
      const r = await runClient('leave', '--agent', url);
      expect(r).to.deep.equal({ code: 0, out: `agent at ${url} is leaving the cluster\n`, err: '' });
      await waitFor('leave()', () => agent.leaveCalls === 1);
    });
  });

  describe('token', () => {
    let secured: ServedApi;
    beforeEach(async () => {
      secured = await serveApi(createApi(agent, { token: 'tok-123' }), '127.0.0.1:0');
    });
    afterEach(async () => {
      await secured.close();
    });

    it('sends the token from --token-file (trailing newline ignored)', async () => {
      const file = join(tmp, 'token');
      writeFileSync(file, 'tok-123\n');
      const r = await runClient('members', '--agent', secured.url, '--token-file', file, '--json');
      expect(r.code).to.equal(0);
      expect(JSON.parse(r.out)).to.have.length(3);
    });

    it('reports a missing or wrong token in one line, exit 1', async () => {
      expectOneLineFailure(
        await runClient('members', '--agent', secured.url),
        /^grapevine: agent at http:\/\/127\.0\.0\.1:\d+ answered 401: missing bearer token.*\(pass the right --token-file\)\n$/,
      );
      const file = join(tmp, 'wrong');
      writeFileSync(file, 'nope');
      expectOneLineFailure(
        await runClient('leave', '--agent', secured.url, '--token-file', file),
        /answered 401: invalid bearer token/,
      );
      expect(agent.leaveCalls).to.equal(0);
    });

    it('treats an unreadable or empty token file as a usage error (exit 2)', async () => {
      let r = await runClient('members', '--agent', secured.url, '--token-file', join(tmp, 'absent'));
      expect(r.code).to.equal(2);
      expect(r.err).to.include(`cannot read --token-file '${join(tmp, 'absent')}' (ENOENT)`);
      const empty = join(tmp, 'empty');
      writeFileSync(empty, '\n');
      r = await runClient('members', '--agent', secured.url, '--token-file', empty);
      expect(r.code).to.equal(2);
      expect(r.err).to.include('is empty');
    });
  });
});

describe('cmd: agent client failures without a server', () => {
  it('reports connection refused in one line, exit 1, for every command', async () => {
    const port = await deadPort();
    const agentUrl = `http://127.0.0.1:${port}`;
    for (const argv of [
      ['members'],
      ['event', 'x'],
      ['kv', 'get', 'k'],
      ['kv', 'put', 'k', 'v'],
      ['kv', 'del', 'k'],
      ['leave'],
    ]) {
      const r = await runClient(...argv, '--agent', agentUrl);
      expectOneLineFailure(r, `grapevine: cannot reach agent at ${agentUrl}: connection refused`);
    }
  });

  it('reports an unknown host in one line, exit 1', async () => {
    const r = await runClient('members', '--agent', 'http://no-such-host.invalid:7947');
    expectOneLineFailure(r, /^grapevine: cannot reach agent at http:\/\/no-such-host\.invalid:7947: /);
  });

  for (const [why, argv, message] of [
    ['event without a name', ['event'], /missing required argument 'name'/],
    ['kv put without a value', ['kv', 'put', 'k'], /missing required argument 'value'/],
    ['kv without a subcommand', ['kv'], /missing kv command \(expected get, put, del, list\)/],
    ['an unknown kv subcommand', ['kv', 'ls'], /unknown kv command 'ls'/],
    [
      'a bad --agent URL',
      ['members', '--agent', 'localhost:7947'],
      /expected an http:\/\/ or https:\/\/ URL/,
    ],
    [
      'a non-URL --agent',
      ['leave', '--agent', 'not a url'],
      /expected a URL such as http:\/\/127\.0\.0\.1:7947/,
    ],
    ['an unknown state', ['members', '--state', 'zombie'], /Allowed choices are alive, suspect, dead, left/],
    ['an unknown option', ['members', '--colour'], /unknown option '--colour'/],
    ['an extra argument', ['leave', 'now'], /too many arguments/],
  ] as const) {
    it(`exits 2 with usage for ${why}`, async () => {
      const r = await runClient(...argv);
      expect(r.code).to.equal(2);
      expect(r.out).to.equal('');
      expect(r.err).to.match(message);
      // One line saying what is wrong, one pointing to the command's own help (not the whole help).
      const lines = r.err.trimEnd().split('\n');
      expect(lines, r.err).to.have.length(2);
      expect(lines[1]).to.match(/^Run 'grapevine( [a-z]+)* --help' for usage\.$/);
      expect(r.err).not.to.match(/\n\s+at /);
    });
  }
});

describe('cmd: members table formatting', () => {
  it('formats ages like kubectl', () => {
    expect(
      [0, 999, 45_000, 119_000, 120_000, 7_199_000, 7_200_000, 47 * 3600_000, 48 * 3600_000].map(formatAge),
    ).to.deep.equal(['0s', '0s', '45s', '119s', '2m', '119m', '2h', '47h', '2d']);
    expect(formatAge(-5000)).to.equal('0s');
  });

  it('prints only the header for no members', () => {
    expect(formatMembers([], 0)).to.equal('NAME  ADDRESS  STATE  INC  AGE  TAGS\n');
  });
});
