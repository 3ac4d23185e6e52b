// POST /v1/query's validation and error mapping, against a recording fake (the real query path runs
// in test/http/cli-query.test.ts against real agents).
import { expect } from 'chai';
import { QueryBusyError } from '../../src/agent/core/queries.js';
import { createApi } from '../../src/agent/http/api.js';
import type { AgentQueries, QueryRequestBody, QueryResult } from '../../src/agent/http/query-api.js';
import { type ServedApi, serveApi } from '../../src/net/serve-api.js';
import { FakeAgent } from './fake-agent.js';

class FakeQueries implements AgentQueries {
  readonly seen: QueryRequestBody[] = [];
  fail: Error | null = null;
  async query(req: QueryRequestBody): Promise<QueryResult> {
    this.seen.push(req);
    if (this.fail) throw this.fail;
    return { id: 'a/1/1', name: req.name, timeoutMs: req.timeoutMs, acks: ['a'], responses: [] };
  }
}

describe('http: POST /v1/query', () => {
  const queries = new FakeQueries();
  let served: ServedApi;
  before(async () => {
    served = await serveApi(createApi(new FakeAgent(), { token: 'secret', queries }), '127.0.0.1:0');
  });
  after(() => served.close());
  const post = (body: unknown, auth = 'Bearer secret') =>
    fetch(`${served.url}/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('requires the API token like every write', async () => {
    const res = await post({ name: 'q' }, 'Bearer wrong');
    expect(res.status).to.equal(401);
    expect(queries.seen).to.have.length(0);
  });

  it('passes a valid request on with its defaults, filters and payload bytes', async () => {
    const res = await post({ name: 'q', payloadBase64: 'AAE=', nodes: ['n1'], tags: { role: 'web.*' } });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.include({ id: 'a/1/1', name: 'q' });
    const req = queries.seen.at(-1)!;
    expect(req).to.deep.include({ name: 'q', ack: true, timeoutMs: 5_000 });
    expect([...req.payload]).to.deep.equal([0, 1]);
    expect(req.filters).to.deep.equal({ nodes: ['n1'], tags: [{ key: 'role', pattern: 'web.*' }] });
  });

  it('refuses bad bodies before anything is sent', async () => {
    const before = queries.seen.length;
    const cases: Array<[unknown, number, RegExp]> = [
      ['{', 400, /not valid JSON/],
      [{ name: '' }, 400, /'name' is required/],
      [{ name: 'q', extra: 1 }, 400, /unknown field 'extra'/],
      [{ name: 'q', timeoutMs: 0 }, 400, /timeoutMs/],
      [{ name: 'q', timeoutMs: 300_001 }, 400, /timeoutMs/],
      [{ name: 'q', ack: 'yes' }, 400, /'ack'/],
      [{ name: 'q', nodes: 'n1' }, 400, /'nodes'/],
      [{ name: 'q', tags: { role: 1 } }, 400, /tag filter of 'role'/],
      [{ name: 'q', payload: 'a', payloadBase64: 'YQ==' }, 400, /not both/],
      [{ name: '_grapevine-install-key' }, 422, /reserved/],
      [{ name: 'x'.repeat(129) }, 422, /128/],
    ];
    for (const [body, status, message] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).to.equal(status);
      expect(((await res.json()) as { error: string }).error).to.match(message);
    }
    expect(queries.seen.length).to.equal(before);
  });

  it('maps a limit to 422 and too many open queries to 503', async () => {
    queries.fail = new RangeError('payload is 600 bytes; the limit (maxPayloadBytes) is 512');
    let res = await post({ name: 'q' });
    expect(res.status).to.equal(422);
    queries.fail = new QueryBusyError('32 queries are still open (limit 32); retry when one has ended');
    res = await post({ name: 'q' });
    expect(res.status).to.equal(503);
    expect(((await res.json()) as { error: string }).error).to.match(/still open/);
    queries.fail = null;
  });
});
