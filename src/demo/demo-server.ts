// The demo's web server: the page, a JSON API to read the cluster and inject faults, and one SSE
// stream that merges what every agent learns (plus fleet changes) for the page's animations.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import {
  type AgentFleet,
  AgentStartError,
  AgentStateError,
  type FleetAgentInfo,
  hostForUrl,
  UnknownAgentError,
} from './agent-fleet.js';
import type { EventRelay, RelayedEvent } from './event-relay.js';
import { defaultPageDir, readPageFile } from './page-files.js';
import { PageHistory } from './page-history.js';
import type { ViewPoller } from './view-poller.js';

export interface FiredEvent {
  name: string;
  from: string;
  /** Wall-clock ms just before the event was handed to the agent. */
  firedAt: number;
  /** false: fired with direct mail off, so it spreads by rumor mongering alone (hop by hop). */
  directMail: boolean;
}

/** What /api/stream sends; `type` is also the SSE event name. */
export type PageStreamEvent =
  | RelayedEvent
  | { type: 'fleet'; agent: FleetAgentInfo }
  | ({ type: 'fired' } & FiredEvent);

export interface DemoAppDeps {
  fleet: AgentFleet;
  poller: ViewPoller;
  relay: EventRelay;
  pageDir?: string;
}

export interface DemoApp {
  app: Hono;
  /** Ends the page streams and stops listening to the fleet and the relay. */
  close(): void;
}

const ACTIONS = ['kill', 'freeze', 'resume', 'restart'] as const;
type Action = (typeof ACTIONS)[number];
const AGENT_CALL_TIMEOUT_MS = 2_000;
const KEEPALIVE_MS = 15_000;
/** How often the demo samples view agreement for /api/history (what a page opened late replays). */
const HISTORY_SAMPLE_MS = 1_000;

/** One entry of /api/history's events: what the page stream sent, and when. */
export interface HistoryEntry {
  at: number;
  event: PageStreamEvent;
}

export function createDemoApp(deps: DemoAppDeps): DemoApp {
  const { fleet, poller, relay } = deps;
  const pageDir = deps.pageDir ?? defaultPageDir();
  const pages = new Set<(e: PageStreamEvent | null) => void>();
  const history = new PageHistory<HistoryEntry>(Date.now());
  const broadcast = (e: PageStreamEvent | null) => {
    if (e !== null) history.record({ at: Date.now(), event: e });
    for (const p of pages) p(e);
  };
  // Sampled whether or not a page is open, so that a page opened late can show how the cluster formed.
  const sampler = setInterval(() => {
    poller.state().then(
      (s) => history.sample(s),
      () => undefined,
    );
  }, HISTORY_SAMPLE_MS);
  const unsubscribe = [
    relay.subscribe(broadcast),
    fleet.onChange((agent) => broadcast({ type: 'fleet', agent })),
  ];
  let fired = 0;

  const app = new Hono();

  app.get('/api/state', async (c) => c.json({ ...(await poller.state()), following: relay.following() }));

  app.get('/api/agents', (c) => c.json(fleet.agents()));

  app.get('/api/history', (c) => c.json(history.snapshot()));

  app.post('/api/agents/:name/:action', async (c) => {
    const name = c.req.param('name');
    const action = c.req.param('action');
    if (!(ACTIONS as readonly string[]).includes(action)) {
      return c.json({ error: `unknown action '${action}'; use one of ${ACTIONS.join(', ')}` }, 404);
    }
    try {
      return c.json(await fleet[action as Action](name));
    } catch (err) {
      return errorResponse(c, err);
    }
  });

  app.post('/api/event', async (c) => {
    const body = (await c.req.json().catch(() => ({}))) as {
      name?: unknown;
      payload?: unknown;
      from?: unknown;
      directMail?: unknown;
    };
    const directMail = body.directMail !== false;
    const running = fleet.agents().filter((a) => a.state === 'running' && a.httpUrl);
    const from =
      typeof body.from === 'string'
        ? running.find((a) => a.name === body.from)
        : running[Math.floor(Math.random() * running.length)];
    if (!from?.httpUrl) {
      const why = typeof body.from === 'string' ? `${body.from} is not running` : 'no agent is running';
      return c.json({ error: `cannot fire an event: ${why}` }, 409);
    }
    fired++;
    const name = typeof body.name === 'string' && body.name !== '' ? body.name : `rumor-${fired}`;
    const payload = typeof body.payload === 'string' ? body.payload : `fired from the demo page (#${fired})`;
    const firedAt = Date.now();
    try {
      const res = await fetch(`${from.httpUrl}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, payload, directMail }),
        signal: AbortSignal.timeout(AGENT_CALL_TIMEOUT_MS),
      });
      if (!res.ok) {
        const text = (await res.text()).slice(0, 300);
        return c.json({ error: `${from.name} refused the event: HTTP ${res.status} ${text}` }, 502);
      }
      await res.body?.cancel();
    } catch (err) {
      return c.json({ error: `${from.name} did not take the event: ${errorText(err)}` }, 502);
    }
    const ev: FiredEvent = { name, from: from.name, firedAt, directMail };
    broadcast({ type: 'fired', ...ev });
    return c.json(ev, 202);
  });

  app.get('/api/stream', (c) =>
    streamSSE(c, async (stream) => {
      const queue: PageStreamEvent[] = [];
      let wake: (() => void) | null = null;
      let ended = false;
      const listener = (e: PageStreamEvent | null) => {
        if (e === null) ended = true;
        else queue.push(e);
        wake?.();
      };
      pages.add(listener);
      stream.onAbort(() => {
        ended = true;
        wake?.();
      });
      try {
        for (const agent of fleet.agents()) queue.push({ type: 'fleet', agent });
        while (!ended) {
          while (queue.length > 0 && !ended) {
            const e = queue.shift() as PageStreamEvent;
            await stream.writeSSE({ event: e.type, data: JSON.stringify(e) });
          }
          if (ended) break;
          const timedOut = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(true), KEEPALIVE_MS);
            wake = () => {
              clearTimeout(timer);
              resolve(false);
            };
          });
          wake = null;
          if (timedOut) await stream.write(': keep-alive\n\n');
        }
      } finally {
        pages.delete(listener);
      }
    }),
  );

  app.get('/', (c) => servePage(c, pageDir, 'index.html'));
  app.get('/:file', (c) => servePage(c, pageDir, c.req.param('file')));

  return {
    app,
    close() {
      clearInterval(sampler);
      for (const u of unsubscribe) u();
      broadcast(null);
    },
  };
}

async function servePage(c: Context, dir: string, name: string): Promise<Response> {
  const file = await readPageFile(dir, name);
  if (!file) return c.text('not found', 404);
  return c.body(new Uint8Array(file.body), 200, { 'content-type': file.type, 'cache-control': 'no-store' });
}

function errorResponse(c: Context, err: unknown): Response {
  if (err instanceof UnknownAgentError) return c.json({ error: err.message }, 404);
  if (err instanceof AgentStateError) return c.json({ error: err.message }, 409);
  if (err instanceof AgentStartError) return c.json({ error: err.message }, 500);
  return c.json({ error: errorText(err) }, 500);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export interface DemoServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on host:port (0 = any free port). Rejects with a one-line message when it cannot. */
export function listenDemoServer(app: Hono, host: string, port: number): Promise<DemoServer> {
  const server = createAdaptorServer({ fetch: app.fetch, hostname: host, port }) as Server;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? `port ${port} on ${host} is already in use; pick another with --port`
          : err.code === 'EADDRNOTAVAIL'
            ? `${host} is not an address of this machine; pick another with --host`
            : err.message;
      reject(new Error(why));
    });
    server.listen(port, host, () => {
      const actual = (server.address() as AddressInfo).port;
      resolve({
        url: `http://${hostForUrl(browsable(host))}:${actual}/`,
        port: actual,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Open SSE streams would otherwise hold close() forever.
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** A wildcard listen address is not something to type into a browser; loopback reaches it. */
function browsable(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}
