// The agent's HTTP API (see docs/api.md). Depends only on AgentApi, so it is tested against a fake.
import type { MemberView } from '../../contract/agent-http.js';
import { type Context, type Handler, HttpApp } from '../../net/http-app.js';
import type { AgentApi } from '../agent-api.js';
import { eventNameProblem } from '../wire/limits-check.js';
import { MEMBER_STATES, type MemberState } from '../wire/messages.js';
import { ApiError, errorHandler, jsonError, limitChecked } from './api-error.js';
import { bearerAuth } from './bearer-auth.js';
import type { AgentControl } from './control-api.js';
import { controlRoutes } from './control-routes.js';
import { isJsonContentType, parseEventRequest } from './event-body.js';
import {
  DEFAULT_MAX_EVENT_QUEUE_BYTES,
  DEFAULT_MAX_EVENT_SUBSCRIBERS,
  type EventStreamRefusal,
  eventStream,
} from './event-stream.js';
import { type AgentKeys, keysRoutes } from './keys-routes.js';
import type { AgentQueries } from './query-api.js';
import { queryRoutes } from './query-routes.js';

export interface ApiOptions {
  /** When set, every /v1 route requires `Authorization: Bearer <token>`. */
  token?: string;
  /** Largest request body accepted (default 64 KiB). */
  maxBodyBytes?: number;
  /** Interval of SSE heartbeat comments (default 15 s). */
  sseHeartbeatMs?: number;
  /** Concurrent event streams (default DEFAULT_MAX_EVENT_SUBSCRIBERS); more get 503. */
  sseMaxSubscribers?: number;
  /** Bytes queued for one event stream after which that slow client is dropped (default 1 MiB). */
  sseMaxQueueBytes?: number;
  /** Told about every refused stream or dropped slow client (for a metric and a log line). */
  onRefused?: (reason: EventStreamRefusal, detail: string) => void;
  /** The run-time CLI routes (info, join, tags, kv list): mounted when given. */
  control?: AgentControl;
  /** `POST /v1/query`: mounted when given. */
  queries?: AgentQueries;
  /** `POST /v1/keys`: mounted when given. */
  keys?: AgentKeys;
  /** Told about every unexpected error (the client only gets a generic 500). */
  onInternalError?: (err: unknown) => void;
}

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export function createApi(agent: AgentApi, opts: ApiOptions = {}): HttpApp {
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const onInternalError = opts.onInternalError ?? (() => {});
  const app = new HttpApp();
  app.onError(errorHandler(onInternalError));
  app.notFound((c) => jsonError(c, 404, `no route ${c.req.method} ${c.req.path} (see docs/api.md)`));

  // Probes and metrics stay open: kubelet and Prometheus carry no token.
  route(app, '/healthz', { GET: (c) => c.json({ status: 'ok' }) });
  route(app, '/readyz', {
    GET: (c) => {
      const self = agent.self();
      if (self.ready && !self.leaving) return c.json({ status: 'ready' });
      const reason = self.leaving ? 'leaving the cluster' : 'not joined yet: no peer in view';
      return c.json({ status: 'not ready', reason }, 503);
    },
  });
  route(app, '/metrics', {
    GET: async (c) => {
      const m = await agent.metrics();
      return c.body(m.body, 200, { 'Content-Type': m.contentType });
    },
  });

  if (opts.token !== undefined) app.use('/v1/*', bearerAuth(opts.token));
  // After auth, so an unauthenticated client cannot make us read a large body.
  app.use('/v1/*', (c, next) => {
    // A declared length over the limit is refused before any byte is read; an undeclared (chunked)
    // body is refused by the read once it passes the limit (BodyTooLargeError → 413).
    if (Number(c.req.header('content-length') ?? 0) > maxBodyBytes)
      return jsonError(c, 413, `request body exceeds the limit of ${maxBodyBytes} bytes`);
    c.req.maxBodyBytes = maxBodyBytes;
    return next();
  });

  route(app, '/v1/members', {
    GET: (c) => {
      const states = stateFilter(c.req.queries('state'));
      const members = agent
        .members()
        .filter((m) => states === null || states.has(m.state))
        .sort(byName);
      return c.json(members);
    },
  });
  route(app, '/v1/self', { GET: (c) => c.json(agent.self()) });
  route(app, '/v1/events', {
    GET: eventStream(agent, {
      heartbeatMs: opts.sseHeartbeatMs ?? 15_000,
      maxSubscribers: opts.sseMaxSubscribers ?? DEFAULT_MAX_EVENT_SUBSCRIBERS,
      maxQueueBytes: opts.sseMaxQueueBytes ?? DEFAULT_MAX_EVENT_QUEUE_BYTES,
      onRefused: opts.onRefused,
    }),
    POST: async (c) => {
      if (!isJsonContentType(c.req.header('content-type')))
        throw new ApiError(415, 'Content-Type must be application/json');
      const { name, payload, directMail } = parseEventRequest(await c.req.text());
      // Checked here, before the agent numbers and announces the event (the codec would refuse it later).
      const problem = eventNameProblem(name);
      if (problem !== null) throw new ApiError(422, problem);
      limitChecked(() => agent.fireEvent(name, payload, { directMail }));
      return c.json({ status: 'accepted', name, payloadBytes: payload.length }, 202);
    },
  });
  route(app, '/v1/kv/:key{.+}', {
    GET: (c) => {
      const key = keyParam(c);
      const value = agent.kvGet(key);
      if (value === undefined) throw new ApiError(404, `key '${key}' not found`);
      return c.body(value, 200, { 'Content-Type': 'application/octet-stream' });
    },
    PUT: async (c) => {
      const key = keyParam(c);
      const value = new Uint8Array(await c.req.bytes());
      limitChecked(() => agent.kvPut(key, value));
      return c.body(null, 204);
    },
    DELETE: (c) => {
      const key = keyParam(c);
      if (!limitChecked(() => agent.kvDelete(key))) throw new ApiError(404, `key '${key}' not found`);
      return c.body(null, 204);
    },
  });
  route(app, '/v1/leave', {
    POST: (c) => {
      if (agent.self().leaving) return c.json({ status: 'already leaving' }, 202);
      // Started after this response is on its way: leaving ends with the agent (and this API) stopping.
      setImmediate(() => agent.leave().catch(onInternalError));
      return c.json({ status: 'leaving' }, 202);
    },
  });
  if (opts.control) controlRoutes(app, opts.control, route);
  if (opts.queries) queryRoutes(app, opts.queries, route);
  if (opts.keys) keysRoutes(app, opts.keys, route);
  return app;
}

/** Registers a path's handlers; any other method on it gets 405 with an Allow header. */
function route(app: HttpApp, path: string, handlers: Partial<Record<Method, Handler>>): void {
  const methods = Object.keys(handlers) as Method[];
  for (const m of methods) app.on(m, path, handlers[m]!);
  const allow = methods.includes('GET') ? [...methods, 'HEAD'] : methods;
  app.all(path, (c: Context) => {
    c.header('Allow', allow.join(', '));
    return jsonError(
      c,
      405,
      `method ${c.req.method} not allowed on ${c.req.path} (allowed: ${allow.join(', ')})`,
    );
  });
}

function keyParam(c: Context): string {
  const key = c.req.param('key');
  if (key === undefined || key === '') throw new ApiError(400, 'missing key: use /v1/kv/KEY');
  return key;
}

function stateFilter(values: string[] | undefined): Set<MemberState> | null {
  if (values === undefined) return null;
  const states = new Set<MemberState>();
  for (const v of values.flatMap((s) => s.split(','))) {
    if (!(MEMBER_STATES as readonly string[]).includes(v))
      throw new ApiError(400, `invalid state '${v}' (expected one of ${MEMBER_STATES.join(', ')})`);
    states.add(v as MemberState);
  }
  return states;
}

const byName = (a: MemberView, b: MemberView): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
