// Reads a Server-Sent Events stream over fetch (Node has no EventSource): yields each event's name
// and data until the stream ends or the signal aborts.
export interface SseMessage {
  event: string;
  data: string;
}

/** Splits SSE text into messages; keeps state between chunks. */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];

  push(chunk: string): SseMessage[] {
    this.buffer += chunk;
    const out: SseMessage[] = [];
    let nl = this.buffer.search(/\r\n|\r|\n/);
    // A chunk ending in '\r' may be half of a '\r\n': wait for the next chunk before splitting there.
    while (nl >= 0 && !(nl === this.buffer.length - 1 && this.buffer.endsWith('\r'))) {
      const line = this.buffer.slice(0, nl);
      const sepLength = this.buffer.startsWith('\r\n', nl) ? 2 : 1;
      this.buffer = this.buffer.slice(nl + sepLength);
      if (line === '') {
        if (this.data.length > 0) out.push({ event: this.event || 'message', data: this.data.join('\n') });
        this.event = '';
        this.data = [];
      } else if (!line.startsWith(':')) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') this.event = value;
        else if (field === 'data') this.data.push(value);
      }
      nl = this.buffer.search(/\r\n|\r|\n/);
    }
    return out;
  }
}

/**
 * Connects to `url` and calls `onMessage` per event; resolves when the stream ends. Rejects on an HTTP
 * error, when the response headers take longer than `connectTimeoutMs` (a frozen agent), or on abort.
 */
export async function readSse(
  url: string,
  onMessage: (m: SseMessage) => void,
  signal: AbortSignal,
  connectTimeoutMs = 2_000,
): Promise<void> {
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort(signal.reason);
  if (signal.aborted) onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(
    () => ctrl.abort(new Error(`${url}: no answer within ${connectTimeoutMs} ms`)),
    connectTimeoutMs,
  );
  try {
    const res = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: ctrl.signal });
    clearTimeout(timer);
    if (!res.ok || !res.body) throw new Error(`${url}: HTTP ${res.status}`);
    const parser = new SseParser();
    const decoder = new TextDecoder();
    for await (const chunk of res.body) {
      for (const m of parser.push(decoder.decode(chunk, { stream: true }))) onMessage(m);
    }
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}
