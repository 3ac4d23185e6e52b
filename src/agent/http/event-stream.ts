// `GET /v1/events`: every AgentEvent as a Server-Sent Event for as long as the client stays.
// Bounded twice: at most maxSubscribers streams at once (more get 503), and at most maxQueueBytes
// waiting for one client (a client that stops reading is disconnected; it can reconnect).
import type { ServerResponse } from 'node:http';
import type { Context, Reply } from '../../net/http-app.js';
import type { AgentApi, AgentEvent } from '../agent-api.js';
import { ApiError } from './api-error.js';
import { SseQueue } from './sse-queue.js';

export const DEFAULT_MAX_EVENT_SUBSCRIBERS = 64;
export const DEFAULT_MAX_EVENT_QUEUE_BYTES = 1024 * 1024;

/** subscribers: a stream refused at maxSubscribers; slow-subscriber: one dropped at maxQueueBytes. */
export type EventStreamRefusal = 'subscribers' | 'slow-subscriber';

export interface EventStreamOptions {
  heartbeatMs: number;
  maxSubscribers: number;
  maxQueueBytes: number;
  onRefused?: (reason: EventStreamRefusal, detail: string) => void;
}

export function sseFrame(e: AgentEvent): string {
  // JSON.stringify never emits a raw newline, so one `data:` line always suffices.
  return `event: ${e.kind}\ndata: ${JSON.stringify(e)}\n\n`;
}

const encoder = new TextEncoder();

export function eventStream(agent: AgentApi, opts: EventStreamOptions) {
  let open = 0;
  return (c: Context): Reply => {
    // HEAD runs the GET route and drops the body; subscribing then would leave a listener that
    // nothing ever cancels.
    if (c.req.raw.method === 'HEAD') return c.body(null, 200, { 'Content-Type': 'text/event-stream' });
    if (open >= opts.maxSubscribers) {
      opts.onRefused?.('subscribers', `${open} event streams open (limit ${opts.maxSubscribers})`);
      throw new ApiError(503, `too many event streams open (limit ${opts.maxSubscribers}); retry later`);
    }
    open++;
    const queue = new SseQueue(opts.maxQueueBytes);
    let finished = false;
    let unsubscribe = (): void => {};
    let heartbeat: NodeJS.Timeout | undefined;
    const finish = (failure?: Error): void => {
      if (finished) return;
      finished = true;
      open--;
      clearInterval(heartbeat);
      unsubscribe();
      queue.close(failure);
    };
    const send = (frame: string): void => {
      if (finished) return;
      if (!queue.push(encoder.encode(frame))) {
        opts.onRefused?.(
          'slow-subscriber',
          `event stream client not reading: ${queue.bytes} bytes queued (limit ${opts.maxQueueBytes}); disconnected`,
        );
        // Aborted, not ended: a clean end would wait behind the unread bytes on the connection.
        finish(new Error('event stream client too slow'));
      }
    };
    // A first comment so the client knows the subscription is live before any event.
    send(': subscribed\n\n');
    unsubscribe = agent.subscribe((e) => send(sseFrame(e)));
    heartbeat = setInterval(() => send(': heartbeat\n\n'), opts.heartbeatMs);
    c.req.signal.addEventListener('abort', () => finish(), { once: true });
    const headers = {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
    };
    return c.stream(200, headers, (res) => void pump(queue, res, finish));
  };
}

/**
 * Writes queued frames only as fast as the socket takes them (unwritten frames stay in the bounded
 * queue); ends the response when the queue closes, destroys it when the queue failed.
 */
async function pump(queue: SseQueue, res: ServerResponse, finish: () => void): Promise<void> {
  // The status line and headers go out at once: the client knows the stream is open.
  res.flushHeaders();
  try {
    for (;;) {
      const frame = await queue.next();
      if (frame === null) break;
      if (!res.write(frame)) await drained(res);
    }
    if (!res.writableEnded) res.end();
  } catch {
    res.destroy();
  } finally {
    finish();
  }
}

/** Resolves when the response can take more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
