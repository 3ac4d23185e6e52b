// Serves a hono app over HTTP/1.1 on HOST:PORT: the agent's API and the operator's probe and metrics
// endpoints both use it. Closing ends open event streams (they would otherwise
// hold shutdown forever) and gives ordinary in-flight requests a short grace period.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { formatAddr, parseAddr } from './address.js';

export interface ServedApi {
  /** Base URL with the real port, e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

const CLOSE_GRACE_MS = 2_000;

export async function serveApi(app: Hono, hostPort: string): Promise<ServedApi> {
  const { host, port } = parseAddr(hostPort);
  const streams = new Set<() => void>();
  const server = serve({
    hostname: host,
    port,
    fetch: async (req, env) => {
      const res = await app.fetch(req, env);
      return res.headers.get('content-type')?.startsWith('text/event-stream') ? endable(res, streams) : res;
    },
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${formatAddr(host, bound.port)}`,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => httpServer(server).closeAllConnections(), CLOSE_GRACE_MS);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        for (const end of [...streams]) end();
        // Connections whose last response just ended are idle now; close them too.
        setImmediate(() => httpServer(server).closeIdleConnections());
      });
      return closing;
    },
  };
}

/** Re-wraps a streaming response so that the server can end it cleanly (a proper final chunk). */
function endable(res: Response, streams: Set<() => void>): Response {
  const body = res.body;
  if (body === null) return res;
  const reader = body.getReader();
  let end = (): void => {};
  const wrapped = new ReadableStream<Uint8Array>({
    start(controller) {
      end = () => {
        streams.delete(end);
        try {
          controller.close();
        } catch {
          // already closed
        }
        // Cancelling the source tells the event stream its client is gone (it unsubscribes).
        reader.cancel().catch(() => {});
      };
      streams.add(end);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) end();
      else controller.enqueue(value);
    },
    cancel(reason) {
      streams.delete(end);
      return reader.cancel(reason);
    },
  });
  return new Response(wrapped, { status: res.status, headers: res.headers });
}

// @hono/node-server serves HTTP/1.1 here (no http2 options given), so the server is a node http.Server.
function httpServer(server: ReturnType<typeof serve>): Server {
  return server as Server;
}
