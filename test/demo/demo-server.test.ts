// The demo's web server against real agents: /api/state, the fault-injection API, firing an event and
// the merged /api/stream; plus the page's static files and the SSE parser.
import { expect } from 'chai';
import { AgentFleet } from '../../src/demo/agent-fleet.js';
import {
  createDemoApp,
  type DemoApp,
  type DemoServer,
  listenDemoServer,
} from '../../src/demo/demo-server.js';
import { EventRelay } from '../../src/demo/event-relay.js';
import { readSse, type SseMessage, SseParser } from '../../src/demo/sse-reader.js';
import { type ClusterState, ViewPoller } from '../../src/demo/view-poller.js';
import { waitFor } from './wait-for.js';

describe('demo: web server on a real 3-agent fleet', function () {
  this.timeout(120_000);
  let fleet: AgentFleet;
  let relay: EventRelay;
  let demoApp: DemoApp;
  let server: DemoServer;
  const api = (path: string) => new URL(path, server.url).href;
  const state = async () =>
    (await (await fetch(api('/api/state'))).json()) as ClusterState & { following: string[] };
  const post = (path: string, body?: unknown) =>
    fetch(api(path), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  before(async () => {
    fleet = new AgentFleet({ nodes: 3 });
    relay = new EventRelay(fleet);
    demoApp = createDemoApp({ fleet, poller: new ViewPoller(fleet), relay });
    server = await listenDemoServer(demoApp.app, '127.0.0.1', 0);
    await fleet.start();
  });

  after(async () => {
    relay?.stop();
    demoApp?.close();
    await server?.close();
    await fleet?.stopAll();
  });

  it('GET /api/state: every observer reachable, each seeing all three alive', async () => {
    const s = await waitFor(
      'all observers to see 3 alive members',
      state,
      (s) =>
        s.observers.every((o) => o.reachable && o.members?.filter((m) => m.state === 'alive').length === 3),
      20_000,
    );
    expect(s.members).to.deep.equal(['demo-01', 'demo-02', 'demo-03']);
    expect(s.observers.map((o) => o.agent.name)).to.deep.equal(s.members);
    for (const o of s.observers) {
      expect(o.agent.state).to.equal('running');
      expect(o.rssBytes, 'RSS read from /proc').to.be.greaterThan(10 * 1024 * 1024);
      const self = o.members?.find((m) => m.name === o.agent.name);
      expect(self?.addr).to.equal(o.agent.gossipAddr);
    }
    await waitFor('the relay to follow all three streams', state, (s) => s.following.length === 3, 5_000);
  });

  it('POST /api/agents/:name/freeze makes that observer unreachable; resume brings it back', async () => {
    const res = await post('/api/agents/demo-02/freeze');
    expect(res.status).to.equal(200);
    expect(((await res.json()) as { state: string }).state).to.equal('frozen');
    const s = await state();
    const frozen = s.observers.find((o) => o.agent.name === 'demo-02');
    expect(frozen?.reachable).to.equal(false);
    expect(frozen?.members).to.equal(null);
    expect(s.observers.filter((o) => o.reachable).map((o) => o.agent.name)).to.deep.equal([
      'demo-01',
      'demo-03',
    ]);
    expect((await post('/api/agents/demo-02/resume')).status).to.equal(200);
    await waitFor(
      'demo-02 to answer again',
      state,
      (s) => s.observers.find((o) => o.agent.name === 'demo-02')?.reachable === true,
      10_000,
    );
  });

  it('rejects unknown agents (404), unknown actions (404) and actions that do not apply (409)', async () => {
    const unknown = await post('/api/agents/nope/kill');
    expect(unknown.status).to.equal(404);
    expect(((await unknown.json()) as { error: string }).error).to.match(/no agent named 'nope'/);
    expect((await post('/api/agents/demo-01/explode')).status).to.equal(404);
    const notFrozen = await post('/api/agents/demo-01/resume');
    expect(notFrozen.status).to.equal(409);
    expect(((await notFrozen.json()) as { error: string }).error).to.equal('demo-01 is not frozen');
  });

  /** Runs `body` while following /api/stream, once the fleet snapshot it opens with has arrived. */
  const withPageStream = async (body: (messages: SseMessage[]) => Promise<void>) => {
    const ctrl = new AbortController();
    const messages: SseMessage[] = [];
    const reading = readSse(api('/api/stream'), (m) => messages.push(m), ctrl.signal).catch(() => undefined);
    try {
      await waitFor(
        'the fleet snapshot',
        () => messages.length,
        (n) => n >= 3,
        5_000,
      );
      await body(messages);
    } finally {
      ctrl.abort();
      await reading;
    }
  };

  it('POST /api/event fires through a live agent and /api/stream relays every arrival', () =>
    withPageStream(async (messages) => {
      // The stream opens with the fleet's current state.
      expect(messages.slice(0, 3).every((m) => m.event === 'fleet')).to.equal(true);
      const res = await post('/api/event', { name: 'hello-test', payload: 'x', from: 'demo-03' });
      expect(res.status).to.equal(202);
      const fired = (await res.json()) as { name: string; from: string; firedAt: number };
      expect(fired.name).to.equal('hello-test');
      expect(fired.from).to.equal('demo-03');
      const arrivals = await waitFor(
        'all three observers to receive hello-test',
        () =>
          messages
            .filter((m) => m.event === 'user-event')
            .map(
              (m) =>
                JSON.parse(m.data) as {
                  observer: string;
                  name: string;
                  origin: string;
                  hops: number;
                  at: number;
                },
            )
            .filter((e) => e.name === 'hello-test'),
        (a) => new Set(a.map((e) => e.observer)).size === 3,
        10_000,
      );
      expect(new Set(arrivals.map((a) => a.origin))).to.deep.equal(new Set(['demo-03']));
      const atOrigin = arrivals.find((a) => a.observer === 'demo-03');
      expect(atOrigin?.hops).to.equal(0);
      for (const a of arrivals) expect(a.at).to.be.at.least(fired.firedAt - 5);
      expect(messages.some((m) => m.event === 'fired' && JSON.parse(m.data).name === 'hello-test')).to.equal(
        true,
      );
    }));

  it('POST /api/event with directMail: false: no peer receives it by mail', () =>
    withPageStream(async (messages) => {
      const res = await post('/api/event', { name: 'gossip-only', from: 'demo-01', directMail: false });
      expect(res.status).to.equal(202);
      expect(((await res.json()) as { directMail: boolean }).directMail).to.equal(false);
      const arrivals = await waitFor(
        'all three observers to receive gossip-only',
        () =>
          messages
            .filter((m) => m.event === 'user-event')
            .map((m) => JSON.parse(m.data) as { observer: string; name: string; via: string })
            .filter((e) => e.name === 'gossip-only'),
        (a) => new Set(a.map((e) => e.observer)).size === 3,
        10_000,
      );
      expect(arrivals.map((a) => a.via).sort()).to.deep.equal(['local', 'rumor', 'rumor']);
    }));

  it('GET /api/history: agreement samples since the start and what the page stream sent', async () => {
    // Sampled once a second with an 800 ms answer deadline per agent: on a loaded machine a round
    // can miss an agent, so this waits for a round that saw all three agree.
    const h = await waitFor(
      'a history sample with all three views agreeing',
      async () =>
        (await (await fetch(api('/api/history'))).json()) as {
          startedAt: number;
          samples: { t: number; agreement: number; reachable: number }[];
          events: { at: number; event: { type: string; name?: string } }[];
        },
      (h) => h.samples.some((s) => s.reachable === 3 && s.agreement === 1),
      20_000,
    );
    expect(h.samples.length).to.be.greaterThan(0);
    expect(h.samples[0]!.t).to.be.at.least(h.startedAt);
    // The fleet's start, and the events fired above, are all in it, in order.
    expect(h.events.some((e) => e.event.type === 'fleet')).to.equal(true);
    expect(h.events.some((e) => e.event.type === 'fired' && e.event.name === 'hello-test')).to.equal(true);
    expect(h.events.map((e) => e.at)).to.deep.equal([...h.events.map((e) => e.at)].sort((a, b) => a - b));
    expect(h.samples.some((s) => s.reachable === 3 && s.agreement === 1)).to.equal(true);
  });

  it('POST /api/event names events itself and refuses a stopped source', async () => {
    const auto = await post('/api/event', {});
    expect(auto.status).to.equal(202);
    expect(((await auto.json()) as { name: string }).name).to.match(/^rumor-\d+$/);
    await fleet.kill('demo-03');
    const refused = await post('/api/event', { from: 'demo-03' });
    expect(refused.status).to.equal(409);
    expect(((await refused.json()) as { error: string }).error).to.equal(
      'cannot fire an event: demo-03 is not running',
    );
    const s = await state();
    const killed = s.observers.find((o) => o.agent.name === 'demo-03');
    expect(killed?.reachable).to.equal(false);
    expect(killed?.agent.state).to.equal('killed');
    expect(s.following).to.deep.equal(['demo-01', 'demo-02']);
  });

  it('serves the page and its assets, and nothing else', async () => {
    const index = await fetch(api('/'));
    expect(index.headers.get('content-type')).to.match(/^text\/html/);
    expect(await index.text()).to.include('<table id="matrix"');
    const js = await fetch(api('/app.js'));
    expect(js.headers.get('content-type')).to.match(/^text\/javascript/);
    expect((await fetch(api('/style.css'))).status).to.equal(200);
    expect((await fetch(api('/nothing.js'))).status).to.equal(404);
    expect((await fetch(api('/..%2Fdemo-server.ts'))).status).to.equal(404);
  });
});

describe('demo: listenDemoServer', () => {
  it('says in one line when the port is taken', async () => {
    const { Hono } = await import('hono');
    const first = await listenDemoServer(new Hono(), '127.0.0.1', 0);
    try {
      await listenDemoServer(new Hono(), '127.0.0.1', first.port).then(
        () => expect.fail('second listen should fail'),
        (err: Error) =>
          expect(err.message).to.equal(
            `port ${first.port} on 127.0.0.1 is already in use; pick another with --port`,
          ),
      );
    } finally {
      await first.close();
    }
  });
});

describe('demo: SSE parser', () => {
  it('reassembles events split anywhere, with CRLF, comments and multi-line data', () => {
    const text =
      ': hi\r\nevent: member\r\ndata: {"a":1}\r\n\r\ndata: line1\ndata: line2\n\nevent: x\ndata:\n\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new SseParser();
      const out = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(out, `cut at ${cut}`).to.deep.equal([
        { event: 'member', data: '{"a":1}' },
        { event: 'message', data: 'line1\nline2' },
        { event: 'x', data: '' },
      ]);
    }
  });
});
