// The agent's small HTTP app (hono's router on node:http) over real HTTP: route order, HEAD, path
// parameters, and a reply node cannot write, which must cost that one connection and nothing else.
import { expect } from 'chai';
import { HttpApp } from '../../src/net/http-app.js';
import { type ServedApi, serveApi } from '../../src/net/serve-api.js';

describe('http: HttpApp over real HTTP', () => {
  let served: ServedApi;
  const rejections: unknown[] = [];
  const onRejection = (r: unknown) => rejections.push(r);

  before(async () => {
    process.on('unhandledRejection', onRejection);
    const app = new HttpApp();
    app.onError((err, c) => c.json({ error: String(err) }, 500));
    app.notFound((c) => c.json({ error: 'none' }, 404));
    app.use('/v1/*', (c, next) => {
      c.header('X-Seen', 'middleware');
      return next();
    });
    app.get('/v1/items/:id', (c) => c.json({ id: c.req.param('id'), q: c.req.queries('q') ?? null }));
    // A header value with a line break: node refuses to write it (ERR_INVALID_CHAR).
    app.get('/bad', (c) => c.body('x', 200, { 'X-Bad': 'a\nb' }));
    app.get('/ok', (c) => c.text('ok'));
    served = await serveApi(app, '127.0.0.1:0');
  });

  after(async () => {
    process.off('unhandledRejection', onRejection);
    await served.close();
  });

  it('runs middleware before the route and decodes path parameters', async () => {
    const res = await fetch(`${served.url}/v1/items/a%2Fb?q=1&q=2`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-seen')).to.equal('middleware');
    expect(await res.json()).to.deep.equal({ id: 'a/b', q: ['1', '2'] });
  });

  it('answers HEAD with the GET route’s status and headers, without a body', async () => {
    const res = await fetch(`${served.url}/ok`, { method: 'HEAD' });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('text/plain; charset=UTF-8');
    expect(await res.text()).to.equal('');
  });

  it('a reply that cannot be written drops that connection only; the server keeps serving', async () => {
    let failed = false;
    await fetch(`${served.url}/bad`).catch(() => {
      failed = true;
    });
    expect(failed).to.equal(true);
    const res = await fetch(`${served.url}/ok`);
    expect(await res.text()).to.equal('ok');
    await new Promise((r) => setImmediate(r));
    expect(rejections).to.deep.equal([]);
  });
});
