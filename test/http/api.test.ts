import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { AgentEvent } from '../../src/agent/agent-api.js';
import { type ApiOptions, createApi } from '../../src/agent/http/api.js';
import { tokenMatches } from '../../src/agent/http/bearer-auth.js';
import { type ServedApi, serveApi } from '../../src/net/serve-api.js';
import { FakeAgent, member, userEvent } from './fake-agent.js';
import { SseClient, waitFor } from './sse-client.js';

interface Running {
  agent: FakeAgent;
  url: string;
  served: ServedApi;
  internalErrors: unknown[];
}

async function start(opts: ApiOptions = {}): Promise<Running> {
  const agent = new FakeAgent();
  const internalErrors: unknown[] = [];
  const served = await serveApi(
    createApi(agent, { onInternalError: (e) => internalErrors.push(e), ...opts }),
    '127.0.0.1:0',
  );
  return { agent, url: served.url, served, internalErrors };
}

const json = { 'content-type': 'application/json' };

async function errorOf(res: Response): Promise<string> {
  expect(res.headers.get('content-type')).to.match(/^application\/json/);
  const body = (await res.json()) as { error: unknown };
  expect(body.error).to.be.a('string').and.not.equal('');
  return body.error as string;
}

describe('http: agent API over real HTTP', () => {
  let r: Running;
  beforeEach(async () => {
    r = await start();
  });
  afterEach(async () => {
    await r.served.close();
  });

  describe('probes and metrics', () => {
    it('GET /healthz answers ok', async () => {
      const res = await fetch(`${r.url}/healthz`);
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({ status: 'ok' });
    });

    it('GET /readyz follows self().ready and leaving', async () => {
      expect((await fetch(`${r.url}/readyz`)).status).to.equal(200);
      r.agent.ready = false;
      let res = await fetch(`${r.url}/readyz`);
      expect(res.status).to.equal(503);
      expect(await res.json()).to.deep.equal({
        status: 'not ready',
        reason: 'not joined yet: no peer in view',
      });
      r.agent.ready = true;
      r.agent.leaving = true;
      res = await fetch(`${r.url}/readyz`);
      expect(res.status).to.equal(503);
      expect(((await res.json()) as { reason: string }).reason).to.equal('leaving the cluster');
    });

    it('GET /metrics returns the agent text with its content type', async () => {
      const res = await fetch(`${r.url}/metrics`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('text/plain; version=0.0.4; charset=utf-8');
      expect(await res.text()).to.equal('# TYPE grapevine_members gauge\ngrapevine_members 3\n');
    });
  });

  describe('members and self', () => {
    it('GET /v1/members lists every member sorted by name', async () => {
      const res = await fetch(`${r.url}/v1/members`);
      expect(res.status).to.equal(200);
      const members = (await res.json()) as { name: string }[];
      expect(members.map((m) => m.name)).to.deep.equal(['node-a', 'node-b', 'node-c']);
      expect(members[0]).to.deep.equal(
        member('node-a', '10.0.0.1:7946', 'alive', 1, { zone: 'a', role: 'db' }),
      );
    });

    it('filters by ?state=, repeated or comma-separated', async () => {
      const names = async (q: string) =>
        ((await (await fetch(`${r.url}/v1/members?${q}`)).json()) as { name: string }[]).map((m) => m.name);
      expect(await names('state=alive')).to.deep.equal(['node-a']);
      expect(await names('state=alive&state=dead')).to.deep.equal(['node-a', 'node-c']);
      expect(await names('state=suspect,dead')).to.deep.equal(['node-b', 'node-c']);
      expect(await names('state=left')).to.deep.equal([]);
    });

    it('refuses an unknown state with 400', async () => {
      const res = await fetch(`${r.url}/v1/members?state=zombie`);
      expect(res.status).to.equal(400);
      expect(await errorOf(res)).to.equal(
        "invalid state 'zombie' (expected one of alive, suspect, dead, left)",
      );
    });

    it('GET /v1/self includes restartRequired', async () => {
      const self = (await (await fetch(`${r.url}/v1/self`)).json()) as Record<string, unknown>;
      expect(self).to.include({ name: 'node-a', cluster: 'test', ready: true, leaving: false });
      expect(self.restartRequired).to.deep.equal(['bind']);
    });
  });

  describe('POST /v1/events', () => {
    const post = (body: string, headers: Record<string, string> = json) =>
      fetch(`${r.url}/v1/events`, { method: 'POST', headers, body });

    it('fires a UTF-8 payload as its bytes and answers 202', async () => {
      const res = await post(JSON.stringify({ name: 'deploy', payload: 'v2 ✓' }));
      expect(res.status).to.equal(202);
      expect(await res.json()).to.deep.equal({ status: 'accepted', name: 'deploy', payloadBytes: 6 });
      expect(r.agent.fired).to.have.length(1);
      expect(r.agent.fired[0]?.name).to.equal('deploy');
      expect(Buffer.from(r.agent.fired[0]?.payload ?? []).toString('utf8')).to.equal('v2 ✓');
    });

    it('passes directMail: false on to the agent (rumor mongering only); true by default', async () => {
      expect((await post(JSON.stringify({ name: 'hop', directMail: false }))).status).to.equal(202);
      expect((await post(JSON.stringify({ name: 'mail' }))).status).to.equal(202);
      expect(r.agent.fired.map((f) => [f.name, f.directMail])).to.deep.equal([
        ['hop', false],
        ['mail', true],
      ]);
      const res = await post(JSON.stringify({ name: 'x', directMail: 'no' }));
      expect(res.status).to.equal(400);
      expect(await errorOf(res)).to.equal("field 'directMail' must be true or false");
    });

    it('fires a base64 payload exactly, and no payload as empty', async () => {
      const bytes = Uint8Array.from([0, 255, 128, 10, 13]);
      expect(
        (await post(JSON.stringify({ name: 'bin', payloadBase64: Buffer.from(bytes).toString('base64') })))
          .status,
      ).to.equal(202);
      expect(
        (await post(JSON.stringify({ name: 'ping' }), { 'content-type': 'application/json; charset=utf-8' }))
          .status,
      ).to.equal(202);
      expect([...(r.agent.fired[0]?.payload ?? [])]).to.deep.equal([...bytes]);
      expect(r.agent.fired[1]?.payload.length).to.equal(0);
    });

    for (const [why, body, message] of [
      ['bad JSON', '{"name":', 'request body is not valid JSON'],
      ['an empty body', '', 'request body is empty'],
      ['an array', '[1]', 'request body must be a JSON object'],
      ['a missing name', '{"payload":"x"}', "field 'name' is required"],
      ['an empty name', '{"name":""}', "field 'name' is required"],
      ['a numeric payload', '{"name":"a","payload":3}', "field 'payload' must be a string"],
      [
        'both payloads',
        '{"name":"a","payload":"x","payloadBase64":"eA=="}',
        "give either 'payload' or 'payloadBase64'",
      ],
      [
        'invalid base64',
        '{"name":"a","payloadBase64":"not base64!"}',
        "field 'payloadBase64' must be standard base64",
      ],
      ['an unknown field', '{"name":"a","payload64":"eA=="}', "unknown field 'payload64'"],
    ] as const) {
      it(`answers 400 for ${why}`, async () => {
        const res = await post(body);
        expect(res.status).to.equal(400);
        expect(await errorOf(res)).to.include(message);
        expect(r.agent.fired).to.have.length(0);
      });
    }

    it('answers 415 unless the body is declared as JSON', async () => {
      const cases: Record<string, string>[] = [
        {},
        { 'content-type': 'text/plain' },
        { 'content-type': 'application/x-www-form-urlencoded' },
      ];
      for (const headers of cases) {
        const res = await post('{"name":"a"}', headers);
        expect(res.status).to.equal(415);
        expect(await errorOf(res)).to.equal('Content-Type must be application/json');
      }
      expect(r.agent.fired).to.have.length(0);
    });

    it('answers 422 for a name over the codec limit before the agent is asked (issue 8)', async () => {
      const res = await post(JSON.stringify({ name: 'é'.repeat(65) }));
      expect(res.status).to.equal(422);
      expect(await errorOf(res)).to.equal('event name is 130 bytes; the limit is 128 bytes');
      expect(r.agent.fired).to.have.length(0);
    });
  });

  describe('key/value', () => {
    const kv = (key: string, init?: RequestInit) => fetch(`${r.url}/v1/kv/${key}`, init);

    it('puts, gets and deletes raw bytes', async () => {
      const bytes = Uint8Array.from([1, 2, 0, 255]);
      expect((await kv('conf', { method: 'PUT', body: bytes })).status).to.equal(204);
      expect([...(r.agent.kv.get('conf') ?? [])]).to.deep.equal([1, 2, 0, 255]);
      const got = await kv('conf');
      expect(got.status).to.equal(200);
      expect(got.headers.get('content-type')).to.equal('application/octet-stream');
      expect([...new Uint8Array(await got.arrayBuffer())]).to.deep.equal([1, 2, 0, 255]);
      expect((await kv('conf', { method: 'DELETE' })).status).to.equal(204);
      expect(r.agent.kv.has('conf')).to.equal(false);
    });

    it('accepts an empty value and keys with slashes, raw or percent-encoded', async () => {
      expect((await kv('app/db/url', { method: 'PUT', body: '' })).status).to.equal(204);
      expect(r.agent.kv.get('app/db/url')?.length).to.equal(0);
      expect((await kv('a%2Fb%20c', { method: 'PUT', body: 'x' })).status).to.equal(204);
      expect(r.agent.kv.has('a/b c')).to.equal(true);
      expect(await (await kv('a/b%20c')).text()).to.equal('x');
    });

    it('answers 404 JSON for a missing key on GET and DELETE', async () => {
      let res = await kv('nope');
      expect(res.status).to.equal(404);
      expect(await errorOf(res)).to.equal("key 'nope' not found");
      res = await kv('nope', { method: 'DELETE' });
      expect(res.status).to.equal(404);
      expect(await errorOf(res)).to.equal("key 'nope' not found");
    });

    it('answers 422 with the agent message for a key over the limit', async () => {
      const res = await kv('k'.repeat(300), { method: 'PUT', body: 'x' });
      expect(res.status).to.equal(422);
      expect(await errorOf(res)).to.equal('key longer than 256 bytes');
    });
  });

  describe('request body limit', () => {
    it('accepts a body of exactly the limit', async () => {
      const res = await fetch(`${r.url}/v1/kv/big`, { method: 'PUT', body: new Uint8Array(64 * 1024) });
      expect(res.status).to.equal(204);
      expect(r.agent.kv.get('big')?.length).to.equal(64 * 1024);
    });

    it('answers 413 for a body over the limit with a Content-Length', async () => {
      const res = await fetch(`${r.url}/v1/kv/big`, { method: 'PUT', body: new Uint8Array(64 * 1024 + 1) });
      expect(res.status).to.equal(413);
      expect(await errorOf(res)).to.equal('request body exceeds the limit of 65536 bytes');
      expect(r.agent.kv.has('big')).to.equal(false);
    });

    it('answers 413 while reading a chunked body that grows past the limit', async () => {
      let sent = 0;
      const chunk = new Uint8Array(16 * 1024).fill(120);
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          // 1 MiB in total, far over the limit; the server must stop before all of it.
          if (sent >= 1024 * 1024) controller.close();
          else {
            sent += chunk.length;
            controller.enqueue(chunk);
          }
        },
      });
      const res = await fetch(`${r.url}/v1/events`, {
        method: 'POST',
        headers: json,
        body,
        duplex: 'half',
      } as RequestInit);
      expect(res.status).to.equal(413);
      expect(await errorOf(res)).to.include('exceeds the limit');
      expect(r.agent.fired).to.have.length(0);
    });

    it('honours a configured maxBodyBytes', async () => {
      const small = await start({ maxBodyBytes: 10 });
      try {
        const res = await fetch(`${small.url}/v1/kv/k`, { method: 'PUT', body: 'x'.repeat(11) });
        expect(res.status).to.equal(413);
        expect(await errorOf(res)).to.equal('request body exceeds the limit of 10 bytes');
        expect(
          (await fetch(`${small.url}/v1/kv/k`, { method: 'PUT', body: 'x'.repeat(10) })).status,
        ).to.equal(204);
      } finally {
        await small.served.close();
      }
    });
  });

  describe('leave', () => {
    it('answers 202 at once and then calls agent.leave() once', async () => {
      const res = await fetch(`${r.url}/v1/leave`, { method: 'POST' });
      expect(res.status).to.equal(202);
      expect(await res.json()).to.deep.equal({ status: 'leaving' });
      await waitFor('leave()', () => r.agent.leaveCalls === 1);
      const again = await fetch(`${r.url}/v1/leave`, { method: 'POST' });
      expect(again.status).to.equal(202);
      expect(await again.json()).to.deep.equal({ status: 'already leaving' });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(r.agent.leaveCalls).to.equal(1);
    });
  });

  describe('routing errors', () => {
    it('answers 404 JSON for an unknown route', async () => {
      for (const path of ['/nope', '/v1', '/v1/kv/', '/v2/members']) {
        const res = await fetch(`${r.url}${path}`);
        expect(res.status, path).to.equal(404);
        expect(await errorOf(res)).to.include('no route GET');
      }
    });

    it('answers 405 with Allow for a wrong method on a known route', async () => {
      for (const [method, path, allow] of [
        ['DELETE', '/v1/members', 'GET, HEAD'],
        ['GET', '/v1/leave', 'POST'],
        ['PATCH', '/v1/kv/x', 'GET, PUT, DELETE, HEAD'],
        ['PUT', '/v1/events', 'GET, POST, HEAD'],
        ['POST', '/healthz', 'GET, HEAD'],
      ] as const) {
        const res = await fetch(`${r.url}${path}`, { method });
        expect(res.status, `${method} ${path}`).to.equal(405);
        expect(res.headers.get('allow')).to.equal(allow);
        expect(await errorOf(res)).to.include(`method ${method} not allowed`);
      }
    });

    it('answers 500 with a generic message, no detail, and reports the error', async () => {
      const secret = new Error('disk on fire at /var/lib/secret');
      r.agent.failWith = secret;
      for (const path of ['/v1/members', '/v1/self', '/metrics']) {
        const res = await fetch(`${r.url}${path}`);
        expect(res.status).to.equal(500);
        const text = await res.text();
        expect(JSON.parse(text)).to.deep.equal({ error: 'internal error (see the agent log)' });
        expect(text).not.to.include('secret');
      }
      expect(r.internalErrors).to.deep.equal([secret, secret, secret]);
    });

    it('does not turn a RangeError outside a limit check into 422', async () => {
      r.agent.failWith = new RangeError('Invalid array length');
      const res = await fetch(`${r.url}/v1/members`);
      expect(res.status).to.equal(500);
    });
  });
});

describe('http: bearer token', () => {
  let r: Running;
  before(async () => {
    r = await start({ token: 's3cret-token' });
  });
  after(async () => {
    await r.served.close();
  });

  it('answers 401 without a token or with a wrong one, 200 with the right one', async () => {
    let res = await fetch(`${r.url}/v1/members`);
    expect(res.status).to.equal(401);
    expect(res.headers.get('www-authenticate')).to.match(/^Bearer/);
    expect(await errorOf(res)).to.include('missing bearer token');
    for (const auth of [
      'Bearer wrong',
      'Bearer s3cret-token-and-more',
      'Bearer s3cret-toke',
      'Basic s3cret-token',
    ]) {
      res = await fetch(`${r.url}/v1/members`, { headers: { authorization: auth } });
      expect(res.status, auth).to.equal(401);
    }
    res = await fetch(`${r.url}/v1/members`, { headers: { authorization: 'Bearer s3cret-token' } });
    expect(res.status).to.equal(200);
    res = await fetch(`${r.url}/v1/self`, { headers: { authorization: 'bearer s3cret-token' } });
    expect(res.status).to.equal(200);
  });

  it('guards every /v1 route, including unknown ones and the event stream', async () => {
    for (const [method, path] of [
      ['GET', '/v1/self'],
      ['GET', '/v1/events'],
      ['POST', '/v1/leave'],
      ['GET', '/v1/kv/x'],
      ['GET', '/v1/unknown'],
    ] as const) {
      const res = await fetch(`${r.url}${path}`, { method });
      expect(res.status, path).to.equal(401);
    }
    expect(r.agent.leaveCalls).to.equal(0);
    expect(r.agent.listeners.size).to.equal(0);
  });

  it('refuses an unauthenticated large body with 401 before reading it', async () => {
    const res = await fetch(`${r.url}/v1/kv/x`, { method: 'PUT', body: new Uint8Array(200_000) });
    expect(res.status).to.equal(401);
  });

  it('leaves /healthz, /readyz and /metrics open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics'])
      expect((await fetch(`${r.url}${path}`)).status, path).to.equal(200);
  });

  it('compares tokens by content only', () => {
    expect(tokenMatches('abc', 'abc')).to.equal(true);
    expect(tokenMatches('abd', 'abc')).to.equal(false);
    expect(tokenMatches('ab', 'abc')).to.equal(false);
    expect(tokenMatches('', 'abc')).to.equal(false);
  });
});

async function nextName(c: SseClient): Promise<string | undefined> {
  const e = await c.nextEvent();
  return (e?.data as { name?: string } | undefined)?.name;
}

describe('http: event stream (SSE)', () => {
  let r: Running;
  const clients: SseClient[] = [];
  const open = async (): Promise<SseClient> => {
    const c = await SseClient.open(`${r.url}/v1/events`);
    clients.push(c);
    expect(await c.next()).to.equal(': subscribed');
    return c;
  };
  beforeEach(async () => {
    r = await start({ sseHeartbeatMs: 100 });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await r.served.close();
  });

  it('delivers every event in order with its kind as the SSE event name', async () => {
    const c = await open();
    expect(c.response.headers.get('content-type')).to.match(/^text\/event-stream/);
    expect(r.agent.listeners.size).to.equal(1);
    const sent: AgentEvent[] = [];
    for (let i = 0; i < 50; i++) {
      const e: AgentEvent =
        i % 3 === 0
          ? {
              kind: 'member',
              at: 1000 + i,
              member: member(`node-${i}`, '10.0.0.9:7946', 'suspect', i, {}),
              previous: 'alive',
              via: 'probe',
              origin: null,
              originTime: null,
              hops: null,
            }
          : userEvent(`e${i}`, `line1\nline2 ${i}`, i);
      sent.push(e);
      r.agent.emit(e);
    }
    for (const e of sent) {
      const got = await c.nextEvent();
      expect(got?.event).to.equal(e.kind);
      expect(got?.data).to.deep.equal(e);
    }
  });

  it('sends heartbeat comments while idle', async () => {
    const c = await open();
    expect(await c.next(2_000)).to.equal(': heartbeat');
    expect(await c.next(2_000)).to.equal(': heartbeat');
  });

  it('fans out to several clients and unsubscribes each when it disconnects', async () => {
    const a = await open();
    const b = await open();
    expect(r.agent.listeners.size).to.equal(2);
    r.agent.emit(userEvent('one', 'x'));
    expect(await nextName(a)).to.equal('one');
    expect(await nextName(b)).to.equal('one');
    a.close();
    await waitFor('first unsubscribe', () => r.agent.listeners.size === 1);
    r.agent.emit(userEvent('two', 'y'));
    expect(await nextName(b)).to.equal('two');
    b.close();
    await waitFor('second unsubscribe', () => r.agent.listeners.size === 0);
  });

  it('leaks no listener over many connect/disconnect cycles', async () => {
    for (let i = 0; i < 20; i++) (await open()).close();
    await waitFor('all unsubscribed', () => r.agent.listeners.size === 0);
  });

  it('does not subscribe for HEAD', async () => {
    const res = await fetch(`${r.url}/v1/events`, { method: 'HEAD' });
    expect(res.status).to.equal(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.agent.listeners.size).to.equal(0);
  });

  it('drops a client that stops reading once its queued bytes pass the limit', async () => {
    const refused: string[] = [];
    const slow = await start({ sseMaxQueueBytes: 256 * 1024, onRefused: (reason) => refused.push(reason) });
    try {
      const c = await SseClient.open(`${slow.url}/v1/events`);
      clients.push(c);
      expect(await c.next()).to.equal(': subscribed');
      const big = userEvent('big', 'x'.repeat(60_000));
      // The client reads nothing more: socket buffers fill, then the backlog, then it is dropped.
      for (let i = 0; i < 2_000 && slow.agent.listeners.size > 0; i++) {
        slow.agent.emit(big);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(slow.agent.listeners.size).to.equal(0);
      expect(refused).to.deep.equal(['slow-subscriber']);
    } finally {
      await slow.served.close();
    }
  });

  it('close() ends open streams cleanly and promptly', async () => {
    const c = await open();
    const t0 = Date.now();
    await r.served.close();
    expect(Date.now() - t0).to.be.below(1_000);
    expect(await c.next()).to.equal(null);
    expect(r.agent.listeners.size).to.equal(0);
  });
});

describe('http: serveApi', () => {
  it('reports the real port and refuses connections after close', async () => {
    const served = await serveApi(createApi(new FakeAgent()), '127.0.0.1:0');
    const port = Number(new URL(served.url).port);
    expect(port).to.be.greaterThan(0);
    expect(served.url).to.equal(`http://127.0.0.1:${port}`);
    expect((await fetch(`${served.url}/healthz`)).status).to.equal(200);
    await served.close();
    await served.close(); // idempotent
    let failed = false;
    await fetch(`${served.url}/healthz`).catch(() => {
      failed = true;
    });
    expect(failed).to.equal(true);
  });

  it('rejects when the port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      let err: unknown;
      await serveApi(createApi(new FakeAgent()), `127.0.0.1:${port}`).catch((e: unknown) => {
        err = e;
      });
      expect((err as NodeJS.ErrnoException).code).to.equal('EADDRINUSE');
    } finally {
      blocker.close();
    }
  });

  it('never loads undici: no fetch Request/Response is made (~11 MB RSS per agent)', () => {
    // In a process of its own: this one has used fetch already.
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./fixtures/serve-without-undici.ts', import.meta.url))],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(out)).to.deep.equal({ statuses: [200, 202, 200], undici: false });
  });

  it('rejects a malformed address', async () => {
    let err: unknown;
    await serveApi(createApi(new FakeAgent()), 'localhost').catch((e: unknown) => {
      err = e;
    });
    expect((err as Error).message).to.equal("invalid address 'localhost': expected HOST:PORT");
  });
});
