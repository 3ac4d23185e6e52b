// pollAgents against REAL HTTP servers on 127.0.0.1 (fake agents serving chosen digests, a slow one,
// a refusing port) for the bounds, and against three real `grapevine agent` processes for the truth.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { MemberView } from '../../src/agent/agent-api.js';
import type { MemberState } from '../../src/agent/wire/messages.js';
import { type AgentPollResult, pollAgents } from '../../src/operator/status/agent-poller.js';
import { AgentProcess } from '../support/agent-process.js';
import { eventually } from '../support/process-cluster.js';

/** Requests in flight over every fake agent at once: what the poller's concurrency bound limits. */
const flight = { now: 0, max: 0 };

interface FakeAgent {
  pod: string;
  url: string;
  self: number;
  members: number;
  close(): Promise<void>;
}

interface FakeOptions {
  digest?: string;
  states?: MemberState[];
  delayMs?: number;
  token?: string;
  /** Replaces the /v1/self body. */
  selfBody?: string;
  membersStatus?: number;
}

const servers: Server[] = [];

async function fakeAgent(pod: string, o: FakeOptions): Promise<FakeAgent> {
  const counts = { self: 0, members: 0 };
  const server = createServer((req, res) => {
    flight.now++;
    flight.max = Math.max(flight.max, flight.now);
    let done = false;
    const finish = (status: number, body: string) => {
      if (done) return;
      done = true;
      flight.now--;
      if (!res.destroyed) res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    };
    res.on('close', () => finish(0, ''));
    setTimeout(() => {
      if (o.token && req.headers.authorization !== `Bearer ${o.token}`)
        return finish(401, '{"error":"token required"}');
      if (req.url === '/v1/self') {
        counts.self++;
        return finish(
          200,
          o.selfBody ?? JSON.stringify({ name: pod, viewDigest: o.digest, ready: true, healthScore: 0 }),
        );
      }
      if (req.url === '/v1/members') {
        counts.members++;
        if (o.membersStatus) return finish(o.membersStatus, '{"error":"boom"}');
        const members: Partial<MemberView>[] = (o.states ?? []).map((state, i) => ({ name: `m${i}`, state }));
        return finish(200, JSON.stringify(members));
      }
      finish(404, '{"error":"not found"}');
    }, o.delayMs ?? 0);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    pod,
    url: `http://127.0.0.1:${port}`,
    get self() {
      return counts.self;
    },
    get members() {
      return counts.members;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A port nothing listens on: connections are refused. */
async function refusingUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

const fleet = (n: number, prefix: string, o: FakeOptions) =>
  Promise.all(Array.from({ length: n }, (_, i) => fakeAgent(`${prefix}-${i}`, o)));

describe('pollAgents (real HTTP servers on 127.0.0.1)', function () {
  this.timeout(30_000);
  beforeEach(() => {
    flight.now = 0;
    flight.max = 0;
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  });

  it('takes member counts from one agent of the majority view, and reports slow and refused agents', async () => {
    const a = await fleet(3, 'a', {
      digest: 'aaaa',
      states: ['alive', 'alive', 'alive', 'alive', 'suspect'],
    });
    const b = await fleet(2, 'b', { digest: 'bbbb', states: ['alive', 'dead', 'left'] });
    const slow = await fakeAgent('slow', { digest: 'aaaa', delayMs: 3_000 });
    const refused = { pod: 'refused', url: await refusingUrl() };
    const targets = [...b, slow, refused, ...a].map(({ pod, url }) => ({ pod, url }));

    const r = await pollAgents(targets, { concurrency: 16, timeoutMs: 300 });

    expect(r.total).to.equal(7);
    expect(r.polled).to.equal(7);
    expect(r.reached).to.equal(5);
    expect(r.sampled).to.equal(false);
    expect(r.distinctDigests).to.equal(2);
    expect(r.majorityDigest).to.equal('aaaa');
    expect(r.majorityCount).to.equal(3);
    expect(r.converged).to.equal(false);
    expect(r.members).to.deep.equal({ alive: 4, suspect: 1, dead: 0, left: 0 });
    expect(a.map((x) => x.pod)).to.include(r.membersFrom);
    // Exactly one /v1/members in the whole round.
    expect([...a, ...b, slow].reduce((n, x) => n + x.members, 0)).to.equal(1);
    expect(r.agents.map((x) => x.pod)).to.deep.equal(targets.map((t) => t.pod));
    const bySlow = r.agents.find((x) => x.pod === 'slow')!;
    expect(bySlow).to.include({ ok: false, error: '/v1/self: no answer within 300 ms' });
    const byRefused = r.agents.find((x) => x.pod === 'refused')!;
    expect(byRefused.ok).to.equal(false);
    expect(byRefused.error).to.equal('/v1/self: ECONNREFUSED');
    expect(r.agents.find((x) => x.pod === 'b-0')).to.include({ ok: true, digest: 'bbbb', ready: true });
  });

  it('reports converged when every reached agent holds the same digest', async () => {
    const agents = await fleet(4, 'c', { digest: 'same', states: ['alive', 'alive', 'alive', 'alive'] });
    const r = await pollAgents(agents, {});
    expect(r).to.include({
      reached: 4,
      polled: 4,
      distinctDigests: 1,
      converged: true,
      majorityDigest: 'same',
    });
    expect(r.members).to.deep.equal({ alive: 4, suspect: 0, dead: 0, left: 0 });
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    const agents = await fleet(20, 'd', { digest: 'x', states: ['alive'], delayMs: 40 });
    const r = await pollAgents(agents, { concurrency: 4, timeoutMs: 2_000 });
    expect(r.reached).to.equal(20);
    expect(flight.max).to.equal(4);
    expect(agents.reduce((n, x) => n + x.self, 0)).to.equal(20);
  });

  it('bounds a round by timeout × ⌈n / concurrency⌉ when every agent hangs', async () => {
    const agents = await fleet(8, 'e', { digest: 'x', delayMs: 10_000 });
    const timeoutMs = 250;
    const t0 = performance.now();
    const r = await pollAgents(agents, { concurrency: 4, timeoutMs });
    const took = performance.now() - t0;
    expect(took).to.be.at.least(timeoutMs * 2 - 20);
    expect(took).to.be.at.most(timeoutMs * Math.ceil(8 / 4) + 400);
    expect(flight.max).to.equal(4);
    expect(r).to.include({ reached: 0, converged: false, distinctDigests: 0, majorityCount: 0 });
    expect(r.members).to.equal(undefined);
    expect(r.agents.every((x) => !x.ok && x.error === `/v1/self: no answer within ${timeoutMs} ms`)).to.equal(
      true,
    );
  });

  it('sends the bearer token, and reports 401 without it', async () => {
    const agents = await fleet(2, 'f', { digest: 'x', states: ['alive', 'alive'], token: 's3cret' });
    const without = await pollAgents(agents, {});
    expect(without.reached).to.equal(0);
    expect(without.agents[0]!.error).to.equal('/v1/self: HTTP 401');
    const withToken = await pollAgents(agents, { token: 's3cret' });
    expect(withToken).to.include({ reached: 2, converged: true });
    expect(withToken.members).to.deep.equal({ alive: 2, suspect: 0, dead: 0, left: 0 });
  });

  it('samples maxAgents of the targets, and says so', async () => {
    const agents = await fleet(10, 'g', { digest: 'x', states: ['alive'] });
    let seed = 7;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return (seed - 1) / 2147483646;
    };
    const r = await pollAgents(agents, { maxAgents: 4, random });
    expect(r).to.include({ total: 10, polled: 4, reached: 4, sampled: true, converged: true });
    expect(agents.filter((x) => x.self > 0)).to.have.length(4);
    expect(new Set(r.agents.map((x) => x.pod)).size).to.equal(4);
  });

  it('falls back to a second majority agent when /v1/members fails, and rejects malformed answers', async () => {
    const broken = await fakeAgent('a-broken', { digest: 'm', membersStatus: 500 });
    const good = await fakeAgent('b-good', { digest: 'm', states: ['alive', 'left'] });
    const noDigest = await fakeAgent('c-nodigest', { selfBody: '{"name":"x"}' });
    const notJson = await fakeAgent('d-notjson', { selfBody: '<html>' });
    const r = await pollAgents([broken, good, noDigest, notJson, { pod: 'bad-url', url: 'http://:::1' }], {});
    expect(r.members).to.deep.equal({ alive: 1, suspect: 0, dead: 0, left: 1 });
    expect(r.membersFrom).to.equal('b-good');
    expect(broken.members + good.members).to.equal(2);
    expect(r.agents.find((x) => x.pod === 'c-nodigest')!.error).to.equal(
      '/v1/self: no viewDigest in the answer',
    );
    expect(r.agents.find((x) => x.pod === 'd-notjson')!.error).to.equal('/v1/self: answer is not JSON');
    expect(r.agents.find((x) => x.pod === 'bad-url')!.ok).to.equal(false);
    expect(r).to.include({ reached: 2, converged: true });
  });

  it('returns an empty round for no targets', async () => {
    const r = await pollAgents([], {});
    expect(r).to.include({ total: 0, polled: 0, reached: 0, converged: false, distinctDigests: 0 });
  });
});

describe('pollAgents (three real grapevine agents)', function () {
  this.timeout(90_000);
  const agents: AgentProcess[] = [];
  after(async () => {
    for (const a of agents) await a.stop('SIGKILL');
  });

  it('reports converged with 3 alive members', async () => {
    const fast = ['--probe-interval-ms', '300', '--probe-timeout-ms', '150', '--gossip-interval-ms', '60'];
    const base = (name: string) => [
      '--name',
      name,
      '--bind',
      '127.0.0.1:0',
      '--http',
      '127.0.0.1:0',
      ...fast,
    ];
    agents.push(await AgentProcess.start(base('n1')));
    agents.push(await AgentProcess.start([...base('n2'), '--join', agents[0]!.gossipAddr]));
    agents.push(await AgentProcess.start([...base('n3'), '--join', agents[0]!.gossipAddr]));
    const targets = agents.map((a) => ({ pod: a.name, url: a.url }));
    let last: AgentPollResult | undefined;
    const ok = await eventually(async () => {
      last = await pollAgents(targets, { timeoutMs: 1_000 });
      return last.converged && last.members?.alive === 3;
    }, 30_000);
    expect(ok, JSON.stringify(last)).to.equal(true);
    expect(last).to.include({ reached: 3, polled: 3, distinctDigests: 1 });
    expect(last!.members).to.deep.equal({ alive: 3, suspect: 0, dead: 0, left: 0 });
    expect(new Set(last!.agents.map((a) => a.digest)).size).to.equal(1);
  });
});
