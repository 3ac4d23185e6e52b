// The HTTP app of the agent's API and the operator's probes: hono's router matches method and path, handlers and middleware run in hono's
// order (first match that answers wins; middleware calls next), and each answer is a Reply written
// straight to node:http's ServerResponse. Unlike hono's own app, it makes no fetch Request/Response
// objects: the first touch of those globals loads Node's bundled undici, ~11 MB RSS per agent for an
// API of a dozen JSON routes (docs/benchmarks.md, "Agent memory").
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TrieRouter } from 'hono/router/trie-router';
import { getPath, getQueryParam, getQueryParams, tryDecodeURIComponent } from 'hono/utils/url';

/** What a handler answers: a complete body, or a stream that writes to the response itself. */
export type Reply =
  | { status: number; headers: Record<string, string>; body: string | Uint8Array | null }
  | { status: number; headers: Record<string, string>; stream: (res: ServerResponse) => void };

/** A route handler or middleware; middleware calls next() to run what comes after it. */
export type Handler = (c: Context, next: () => Promise<Reply>) => Reply | Promise<Reply>;

export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds the limit of ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** The request as handlers see it (method, path, headers, parameters, body). */
export class RequestView {
  /** Largest body text()/arrayBuffer() read; set by the body-limit middleware. */
  maxBodyBytes = Number.POSITIVE_INFINITY;
  private body: Promise<Buffer> | undefined;
  /** The path parameters of the route running now (each matched route has its own). */
  params: Readonly<Record<string, string>> = {};

  constructor(
    readonly raw: IncomingMessage,
    /** GET for HEAD requests: HEAD runs the GET route and drops the body. */
    readonly method: string,
    readonly path: string,
    private readonly url: string,
    /** Aborted when the client goes away. */
    readonly signal: AbortSignal,
  ) {}

  header(name: string): string | undefined {
    const v = this.raw.headers[name.toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : v;
  }

  param(name: string): string | undefined {
    const v = this.params[name];
    return v === undefined ? undefined : tryDecodeURIComponent(v);
  }

  query(name: string): string | undefined {
    return getQueryParam(this.url, name) as string | undefined;
  }

  queries(name: string): string[] | undefined {
    return getQueryParams(this.url, name) as string[] | undefined;
  }

  async text(): Promise<string> {
    return (await this.bytes()).toString('utf8');
  }

  /** The whole body, read once, refused past maxBodyBytes (then the rest is not read). */
  bytes(): Promise<Buffer> {
    this.body ??= new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size > this.maxBodyBytes) {
          this.raw.off('data', onData);
          this.raw.pause();
          reject(new BodyTooLargeError(this.maxBodyBytes));
        } else chunks.push(chunk);
      };
      this.raw.on('data', onData);
      this.raw.once('end', () => resolve(Buffer.concat(chunks)));
      this.raw.once('error', reject);
    });
    return this.body;
  }
}

/** One request's context, shaped like hono's (c.req, c.json, c.body, c.header). */
export class Context {
  private readonly replyHeaders: Record<string, string> = {};

  constructor(readonly req: RequestView) {}

  /** A header for the reply this context makes. */
  header(name: string, value: string): void {
    this.replyHeaders[name] = value;
  }

  json(value: unknown, status = 200): Reply {
    return this.body(JSON.stringify(value), status, { 'Content-Type': 'application/json' });
  }

  text(text: string, status = 200): Reply {
    return this.body(text, status, { 'Content-Type': 'text/plain; charset=UTF-8' });
  }

  body(data: string | Uint8Array | null, status = 200, headers: Record<string, string> = {}): Reply {
    return { status, headers: { ...this.replyHeaders, ...headers }, body: data };
  }

  stream(status: number, headers: Record<string, string>, pump: (res: ServerResponse) => void): Reply {
    return { status, headers: { ...this.replyHeaders, ...headers }, stream: pump };
  }
}

type Route = { handler: Handler };

export class HttpApp {
  private readonly router = new TrieRouter<Route>();
  /** Responses still streaming (event streams), ended by endStreams() when the server closes. */
  private readonly streams = new Set<ServerResponse>();
  private errorHandler: (err: unknown, c: Context) => Reply = () => {
    throw new Error('HttpApp: no error handler');
  };
  private notFoundHandler: (c: Context) => Reply = (c) => c.json({ error: 'not found' }, 404);

  on(method: string, path: string, handler: Handler): void {
    this.router.add(method, path, { handler });
  }

  get(path: string, handler: Handler): void {
    this.on('GET', path, handler);
  }

  /** Runs for every method on path (hono's `all`). */
  all(path: string, handler: Handler): void {
    this.router.add('ALL', path, { handler });
  }

  /** Middleware for every method on path (e.g. '/v1/*'), in the order added among the routes. */
  use(path: string, handler: Handler): void {
    this.router.add('ALL', path, { handler });
  }

  onError(handler: (err: unknown, c: Context) => Reply): void {
    this.errorHandler = handler;
  }

  notFound(handler: (c: Context) => Reply): void {
    this.notFoundHandler = handler;
  }

  /** Ends every open stream cleanly (a proper final chunk), so closing the server is not held up. */
  endStreams(): void {
    for (const res of this.streams) if (!res.writableEnded) res.end();
  }

  /** node:http's request listener. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    // Handler errors become replies (errorHandler); what is left (a reply node cannot write, an error
    // handler that throws) must not become an unhandled rejection, which would end the agent.
    this.answer(req, res).catch(() => res.destroy());
  };

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const head = req.method === 'HEAD';
    const method = head ? 'GET' : (req.method ?? 'GET');
    const target = req.url ?? '/';
    if (!target.startsWith('/')) {
      write(res, { status: 400, headers: {}, body: null }, head);
      return;
    }
    const url = `http://agent${target}`;
    // hono's own path rule (percent-decoding included), so routes match as they did under hono.
    const path = getPath({ url } as Pick<Request, 'url'> as Request);
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    const matched = this.router.match(method, path)[0] as [Route, Record<string, string>][];
    const c = new Context(new RequestView(req, method, path, url, gone.signal));
    const run = async (i: number): Promise<Reply> => {
      const entry = matched[i];
      if (entry === undefined) return this.notFoundHandler(c);
      const [route, params] = entry;
      c.req.params = params;
      try {
        return await route.handler(c, () => run(i + 1));
      } catch (err) {
        return this.errorHandler(err, c);
      }
    };
    let reply: Reply;
    try {
      reply = await run(0);
    } catch (err) {
      reply = this.errorHandler(err, c);
    }
    if ('stream' in reply && !head) {
      this.streams.add(res);
      res.once('close', () => this.streams.delete(res));
    }
    write(res, reply, head);
  }
}

function write(res: ServerResponse, reply: Reply, head: boolean): void {
  if (res.destroyed) return;
  if ('stream' in reply) {
    res.writeHead(reply.status, reply.headers);
    if (head) res.end();
    else reply.stream(res);
    return;
  }
  const body = reply.body ?? '';
  res.writeHead(reply.status, { ...reply.headers, 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(head ? undefined : body);
}
