// Issue 8, finding 1 (junk names): a plaintext agent took any well-formed record as a member, so
// fuzzed datagrams added members named `n\u0000`, `@2` or random Unicode. On a real agent process
// with a real UDP socket: records whose names break the member-name rule (and one with port 0) are
// dropped and counted as bad records, with one escaped, rate-limited log line, while a record with
// a valid new name is still taken. An agent whose own name breaks the rule does not start: one line
// on stderr, exit 2 (a usage error, like every config mistake). On the old code the junk names became members and the bad name started.
import dgram from 'node:dgram';
import { expect } from 'chai';
import { encodeMessage } from '../../src/agent/wire/message-codec.js';
import type { MemberRecord } from '../../src/agent/wire/messages.js';
import { encodePacket } from '../../src/agent/wire/packet-codec.js';
import { AgentProcess } from '../support/agent-process.js';
import { Agents, agentArgs, eventually, metric } from './helpers.js';

/** Names the codec carries but the member-name rule refuses: what fuzzing and forgers produce. */
const JUNK = [
  'n\u0000', // a control byte
  'n\u001b[31m', // a terminal escape
  '@2', // punctuation first (seen in the hostile bench)
  ' ', // blank
  '\u200b', // zero-width space: looks empty
  '-x', // not starting with a letter or digit
  'bad name', // a space inside
  'caf\u00e9', // non-ASCII
  'n\u0430de-1', // Cyrillic look-alike of node-1
  '\u{1f600}', // an astral code point, as fast-check's mutations make
];

function record(name: string, port: number): MemberRecord {
  return {
    name,
    addr: `127.0.0.1:${port}`,
    generation: Date.now(),
    incarnation: 0,
    state: 'alive',
    tags: {},
  };
}

async function sendRecords(to: string, records: MemberRecord[]): Promise<void> {
  const rumor = { origin: 'mallory', originTime: Date.now(), hops: 0 };
  const bytes = encodePacket(
    'default',
    { name: 'mallory', generation: 1, addr: '127.0.0.1:9', seq: 1 },
    records.map((member) => encodeMessage({ t: 'member', rumor, member, from: 'mallory' })),
    null,
  );
  const socket = dgram.createSocket('udp4');
  const port = Number(to.slice(to.lastIndexOf(':') + 1));
  await new Promise<void>((resolve, reject) =>
    socket.send(bytes, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
  );
  socket.close();
}

describe('hardening: member names from plaintext records (real agent process)', function () {
  this.timeout(60_000);
  const agents = new Agents();
  let a: AgentProcess;
  before(async () => {
    a = await agents.start(agentArgs('names-1'));
  });
  after(() => agents.stopAll());

  it('drops records with junk names or port 0 and counts them; a valid new name is still added', async () => {
    const bad = () => metric(a, 'grapevine_packets_dropped_total', 'reason="bad-record"');
    const before = await bad();
    // One datagram, the valid record last: once it shows, every junk record before it was handled.
    const records = [
      ...JUNK.map((n, i) => record(n, 40_000 + i)),
      record('zero-port', 0),
      record('newcomer-1.example:a_b', 40_100),
    ];
    await sendRecords(a.gossipAddr, records);
    const members = await eventually('newcomer added', async () => {
      const m = await a.json<Array<{ name: string }>>('/v1/members');
      return m.some((x) => x.name === 'newcomer-1.example:a_b') ? m : undefined;
    });
    expect(members.map((m) => m.name).sort()).to.deep.equal(['names-1', 'newcomer-1.example:a_b']);
    expect((await bad()) - before).to.equal(JUNK.length + 1);

    // One line for the whole burst (rate-limited), its peer text escaped.
    const lines = a.logs.filter((l) => l.msg.startsWith('dropped a record from a peer'));
    expect(lines, JSON.stringify(lines)).to.have.length(1);
    expect(lines[0]!.reason).to.equal('bad-record');
    expect(lines[0]!.detail).to.equal(
      `member record from mallory (rumor): name 'n\\u0000' is not a member name (1 to 128 ASCII letters, digits, '-', '.', '_' or ':', starting with a letter or digit)`,
    );
  });

  for (const [what, args, env] of [
    ['--name with a space', ['--name', 'bad name'], {}],
    ['--name with non-ASCII', ['--name', 'caf\u00e9'], {}],
    ['NODE_NAME with a control character', [], { NODE_NAME: 'n\u001b[31m' }],
  ] as const) {
    it(`refuses to start with ${what}: one line, exit 2 (a usage error)`, async () => {
      const p = AgentProcess.spawn(
        [...args, '--bind', '127.0.0.1:0', '--http', '127.0.0.1:0'],
        env as Record<string, string>,
      );
      const timer = setTimeout(() => p.proc.kill('SIGKILL'), 30_000);
      const { code } = await p.exited;
      clearTimeout(timer);
      expect(code).to.equal(2);
      const lines = p.stderr.trim().split('\n');
      expect(lines, p.stderr).to.have.length(1);
      expect(lines[0]).to.match(/^grapevine: invalid config: name: must be a member name \(1 to 128 ASCII /);
      expect(lines[0]).to.include('NODE_NAME' in env ? '(from NODE_NAME)' : '(from --name)');
      expect(p.stderr).to.not.include('\u001b');
      expect(a.proc.exitCode).to.equal(null);
    });
  }
});
