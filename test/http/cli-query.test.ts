// `grapevine query` (issue 11) through the real command tree against real agent processes on UDP:
// responders answer through --event-handler, filters by tag and node name, acks, the timeout, an
// oversized response refused and counted, and the usage errors.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runCli } from '../../cmd/program.js';
import type { MemberView } from '../../src/agent/agent-api.js';
import type { QueryResult } from '../../src/agent/http/query-api.js';
import { agentArgs } from '../hardening/helpers.js';
import { AgentProcess } from '../support/agent-process.js';
import { eventually } from '../support/process-cluster.js';
import { runGrapevine } from '../support/run-cli.js';

const base = (name: string) => agentArgs(name);

// Answers a query with "<self>:<payload>"; 'slow' sleeps past any timeout used here; 'big' writes
// more than a response may hold. Other events are ignored.
const HANDLER = `#!/bin/sh
[ "$GRAPEVINE_EVENT" = query ] || exit 0
case "$GRAPEVINE_QUERY_NAME" in
  slow) sleep 4; echo late ;;
  big) head -c 5000 /dev/zero | tr '\\0' x ;;
  *) printf '%s:%s' "$GRAPEVINE_SELF_NAME" "$(cat)" ;;
esac
`;

describe('cmd: query against real agents', function () {
  this.timeout(90_000);
  const agents: AgentProcess[] = [];
  let web1: AgentProcess;
  let db1: AgentProcess;
  let web2: AgentProcess;
  let tmp: string;
  const cli = (agent: AgentProcess, ...argv: string[]) => runGrapevine(...argv, '--agent', agent.url);
  const query = async (agent: AgentProcess, ...argv: string[]): Promise<QueryResult> => {
    const r = await cli(agent, 'query', ...argv, '--json');
    expect(r.code, r.err).to.equal(0);
    return JSON.parse(r.out) as QueryResult;
  };
  const from = (r: QueryResult) => r.responses.map((x) => x.from).sort();

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'gv-cli-query-'));
    const handler = join(tmp, 'handler.sh');
    writeFileSync(handler, HANDLER);
    chmodSync(handler, 0o755);
    const withHandler = (name: string) => [...base(name), '--event-handler', handler];
    web1 = await AgentProcess.start(withHandler('web-1'));
    agents.push(web1);
    db1 = await AgentProcess.start([...withHandler('db-1'), '--join', web1.gossipAddr]);
    agents.push(db1);
    // No handler: it acks, but has nothing to answer with.
    web2 = await AgentProcess.start([...base('web-2'), '--join', web1.gossipAddr]);
    agents.push(web2);
    for (const [a, role] of [
      [web1, 'web'],
      [db1, 'db'],
      [web2, 'web'],
    ] as const)
      expect((await cli(a, 'tags', 'set', `role=${role}`)).code).to.equal(0);
    const everyoneTagged = async () =>
      (await web1.json<MemberView[]>('/v1/members')).filter((m) => m.tags.role !== undefined).length === 3 &&
      (await db1.json<MemberView[]>('/v1/members')).filter((m) => m.tags.role !== undefined).length === 3;
    expect(await eventually(everyoneTagged, 20_000)).to.equal(true);
  });
  after(async () => {
    for (const a of agents) await a.stop('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('every member acks; members with an event handler answer with its output', async () => {
    const r = await query(db1, 'hello', 'world', '--timeout', '2s');
    expect(r.acks).to.deep.equal(['db-1', 'web-1', 'web-2']);
    expect(from(r)).to.deep.equal(['db-1', 'web-1']);
    const byName = Object.fromEntries(r.responses.map((x) => [x.from, x.payload]));
    expect(byName).to.deep.equal({ 'db-1': 'db-1:world', 'web-1': 'web-1:world' });
    expect(r.id).to.match(/^db-1\/\d+\/1$/);
  });

  it('a tag filter (anchored regex) reaches only matching members; human output lists them', async () => {
    const r = await query(web2, 'hello', 'x', '--tag', 'role=w.b', '--timeout', '2s');
    expect(r.acks).to.deep.equal(['web-1', 'web-2']);
    expect(from(r)).to.deep.equal(['web-1']);
    const text = await cli(db1, 'query', 'hello', 'y', '--tag', 'role=we', '--timeout', '1s');
    expect(text.code, text.err).to.equal(0);
    // 'we' must match the whole value: nobody passes.
    expect(text.out).to.equal("query 'hello': 0 acks, 0 responses within 1 s\n");
  });

  it('a node filter with --no-ack: no acks, one response', async () => {
    const r = await query(web1, 'hello', 'z', '--node', 'db-1', '--no-ack', '--timeout', '2s');
    expect(r.acks).to.deep.equal([]);
    expect(r.responses.map((x) => [x.from, x.payload])).to.deep.equal([['db-1', 'db-1:z']]);
    const text = await cli(
      web1,
      'query',
      'hello',
      'z',
      '--node',
      'web-1',
      '--node',
      'db-1',
      '--timeout',
      '2s',
    );
    expect(text.out.split('\n')).to.include.members([
      'ack from db-1',
      'ack from web-1',
      'response from web-1: "web-1:z"',
      'response from db-1: "db-1:z"',
      "query 'hello': 2 acks, 2 responses within 2 s",
    ]);
  });

  it('the timeout ends the query: a handler slower than it does not answer', async () => {
    const r = await query(web1, 'slow', '', '--timeout', '1s');
    expect(r.acks).to.deep.equal(['db-1', 'web-1', 'web-2']);
    expect(r.responses).to.deep.equal([]);
    expect(r.timeoutMs).to.equal(1_000);
  });

  it('an oversized handler output is refused by the responder and counted in grapevine_refused_total', async () => {
    const r = await query(web1, 'big', '', '--node', 'db-1', '--timeout', '2s');
    expect(r.acks).to.deep.equal(['db-1']);
    expect(r.responses).to.deep.equal([]);
    const metrics = await (await fetch(`${db1.url}/metrics`)).text();
    expect(metrics).to.match(
      /grapevine_refused_total\{[^}]*resource="query"[^}]*reason="response-bytes"[^}]*\} 1\b/,
    );
    const line = db1.logs.find((l) => l.resource === 'query' && l.reason === 'response-bytes');
    expect(line?.detail).to.match(/more than 1024 bytes for query big/);
  });

  it('monitor shows queries arriving and their answers, as readable lines and as JSON', async () => {
    // `grapevine monitor` on the origin (web-1) and on a responder (db-1) while web-1 asks db-1.
    const monitor = (agent: AgentProcess, json: boolean) => {
      const stop = new AbortController();
      const m = { out: '', stop: () => stop.abort(), done: Promise.resolve(0) };
      m.done = runCli(
        ['monitor', '--agent', agent.url, ...(json ? ['--json'] : [])],
        {
          out: (t) => {
            m.out += t;
          },
          err: () => {},
        },
        { monitorStop: stop.signal },
      );
      return m;
    };
    for (const json of [false, true]) {
      const atOrigin = monitor(web1, json);
      const atResponder = monitor(db1, json);
      await new Promise((r) => setTimeout(r, 500));
      const payload = `mon-${json}`;
      const r = await query(web1, 'hello', payload, '--node', 'db-1', '--timeout', '2s');
      expect(from(r)).to.deep.equal(['db-1']);
      const answer = `db-1:${payload}`;
      expect(await eventually(async () => atOrigin.out.includes(answer), 10_000)).to.equal(true);
      expect(await eventually(async () => atResponder.out.includes(answer), 10_000)).to.equal(true);
      atOrigin.stop();
      atResponder.stop();
      expect(await atOrigin.done).to.equal(0);
      expect(await atResponder.done).to.equal(0);
      const lines = (out: string) => out.split('\n').filter((l) => l.includes('hello'));
      if (json) {
        const events = (out: string) => lines(out).map((l) => JSON.parse(l) as Record<string, unknown>);
        const id = r.id;
        expect(events(atResponder.out).map((e) => [e.kind, e.direction ?? null])).to.deep.equal([
          ['query', null],
          ['query-response', 'sent'],
        ]);
        expect(events(atResponder.out)[0]).to.include({ id, name: 'hello', payload, origin: 'web-1' });
        expect(events(atResponder.out)[1]).to.include({
          id,
          from: 'db-1',
          to: 'web-1',
          ack: false,
          payload: answer,
        });
        const received = events(atOrigin.out).filter((e) => e.kind === 'query-response');
        expect(received.map((e) => [e.direction, e.from, e.ack, e.payload])).to.deep.equal([
          ['received', 'db-1', true, ''],
          ['received', 'db-1', false, answer],
        ]);
      } else {
        const stamp = String.raw`\d{4}-\d\d-\d\dT[\d:.]+Z {2}`;
        const [arrived, sent] = lines(atResponder.out);
        expect(arrived).to.match(
          new RegExp(
            `^${stamp}query hello "${payload}" {2}via (rumor|mail) from web-1, \\d+ hops? {2}id web-1/\\d+/\\d+$`,
          ),
        );
        expect(sent).to.match(
          new RegExp(`^${stamp}query hello response "${answer}" sent to web-1 {2}id ${r.id}$`),
        );
        expect(lines(atOrigin.out)).to.satisfy(
          (ls: string[]) =>
            ls.some((l) => new RegExp(`^${stamp}query hello ack from db-1 {2}id ${r.id}$`).test(l)) &&
            ls.some((l) =>
              new RegExp(`^${stamp}query hello response "${answer}" from db-1 {2}id ${r.id}$`).test(l),
            ),
        );
      }
    }
  });

  it('usage errors: bad regex, bad timeout, a reserved name', async () => {
    let r = await cli(web1, 'query', 'q', '--tag', 'role=[');
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/invalid regular expression/);
    r = await cli(web1, 'query', 'q', '--timeout', 'soon');
    expect(r.code).to.equal(2);
    expect(r.err).to.match(/expected a duration/);
    r = await cli(web1, 'query', '_grapevine-install-key');
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/reserved for the agents/);
  });
});
