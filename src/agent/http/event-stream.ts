// `GET /v1/events`: every AgentEvent as a Server-Sent Event for as long as the client stays.
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AgentApi, AgentEvent } from '../agent-api.js';

export interface EventStreamOptions {
  heartbeatMs: number;
  /** Frames written but not yet taken by the client; past this the client is dropped (it can reconnect). */
  maxBacklog: number;
}

export function sseFrame(e: AgentEvent): string {
  // JSON.stringify never emits a raw newline, so one `data:` line always suffices.
  return `event: ${e.kind}\ndata: ${JSON.stringify(e)}\n\n`;
}

export function eventStream(agent: AgentApi, opts: EventStreamOptions) {
  return (c: Context): Response => {
    // hono answers HEAD by running the GET route and dropping the body; subscribing then would
    // leave a listener that nothing ever cancels.
    if (c.req.raw.method === 'HEAD') return c.body(null, 200, { 'Content-Type': 'text/event-stream' });
    return streamSSE(c, async (stream) => {
      let backlog = 0;
      let drop = (): void => {};
      const gone = new Promise<void>((resolve) => {
        drop = resolve;
      });
      // Frames go out in call order: write() hands each to the stream writer synchronously.
      const send = (frame: string): void => {
        if (stream.aborted || stream.closed) return;
        if (backlog >= opts.maxBacklog) {
          drop();
          return;
        }
        backlog++;
        void stream.write(frame).then(() => {
          backlog--;
        });
      };
      const unsubscribe = agent.subscribe((e) => send(sseFrame(e)));
      const heartbeat = setInterval(() => send(': heartbeat\n\n'), opts.heartbeatMs);
      stream.onAbort(drop);
      c.req.raw.signal.addEventListener('abort', drop, { once: true });
      try {
        // A first comment so the client knows the subscription is live before any event.
        send(': subscribed\n\n');
        await gone;
      } finally {
        clearInterval(heartbeat);
        unsubscribe();
      }
    });
  };
}
