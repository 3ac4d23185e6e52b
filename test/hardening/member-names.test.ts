// Issue 8, finding 1 (junk names): a plaintext agent took any well-formed record as a member, so
// fuzzed datagrams added members named `n\u0000`, `@2` or random Unicode. On a real agent process
// with a real UDP socket: records whose names break the member-name rule (and one with port 0) are
// dropped and counted as bad records, with one escaped, rate-limited log line, while a record with
// a valid new name is still taken; a user event whose origin is no member name is dropped, and
// control bytes in an event name reach --event-handler escaped (a NUL made spawn throw, logged with
// a stack, and the handler never ran). An agent whose own name breaks the rule does not start: one line
// on stderr, exit 2 (a usage error, like every config mistake). On the old code the junk names became members and the bad name started.
import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { encodeMessage } from '../../src/agent/wire/message-codec.js';
import type { MemberRecord, Message } from '../../src/agent/wire/messages.js';
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
  await sendMessages(
    to,
    records.map((member) => ({ t: 'member', rumor, member, from: 'mallory' })),
  );
}

let seq = 0;
async function sendMessages(to: string, messages: Message[]): Promise<void> {
  const bytes = encodePacket(
    'default',
    { name: 'mallory', generation: 1, addr: '127.0.0.1:9', seq: ++seq },
    messages.map(encodeMessage),
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

  it('user events: an origin that is no member name is dropped; control bytes in a name reach --event-handler escaped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gv-names-handler-'));
    const h = await agents.start(
      agentArgs(
        'names-2',
        '--event-handler',
        `f="${dir}/run-$$"; env | grep '^GRAPEVINE_USER_EVENT=\\|^GRAPEVINE_ORIGIN=' | sort > "$f.tmp" && mv "$f.tmp" "$f"`,
      ),
    );
    const event = (origin: string, name: string, n: number): Message => ({
      t: 'user-event',
      rumor: { origin, originTime: Date.now(), hops: 0 },
      generation: 1,
      seq: n,
      name,
      payload: new Uint8Array(),
    });
    const bad = () => metric(h, 'grapevine_packets_dropped_total', 'reason="bad-record"');
    const before = await bad();
    // The last event tells when the others were handled (one datagram, handled in order).
    await sendMessages(h.gossipAddr, [
      event('n\u0000', 'from-junk', 1),
      event('mallory', 'evil\u0000name\u001b[31m', 2),
      event('mallory', 'last', 3),
    ]);
    const runs = () =>
      readdirSync(dir)
        .filter((f) => f.startsWith('run-') && !f.endsWith('.tmp'))
        .map((f) => readFileSync(join(dir, f), 'utf8'));
    await eventually('the last event handled', async () => runs().some((r) => r.includes('=last')));
    await eventually('every run written', async () => runs().length === 2);
    expect(runs().sort()).to.deep.equal([
      'GRAPEVINE_ORIGIN=mallory\nGRAPEVINE_USER_EVENT=evil\\u0000name\\u001b[31m\n',
      'GRAPEVINE_ORIGIN=mallory\nGRAPEVINE_USER_EVENT=last\n',
    ]);
    expect((await bad()) - before).to.equal(1);
    expect(h.logs.filter((l) => l.msg === 'event subscriber failed')).to.deep.equal([]);
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
