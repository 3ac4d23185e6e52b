// `grapevine monitor`: streams the agent's membership changes, user events, queries and query
// answers as they happen (from GET /v1/events), one line each, until Ctrl-C or the agent stops.
import type { Command } from 'commander';
import type { AgentEvent } from '../src/agent/agent-api.js';
import { SseParser } from '../src/demo/sse-reader.js';
import {
  AgentClientError,
  type AgentFlags,
  clientFor,
  reportingFailures,
  withAgentOptions,
} from './agent-client.js';
import type { CliIo } from './cli-io.js';

/** `stopSignal` ends the stream (tests); by default SIGINT/SIGTERM do, registered only when monitor runs. */
export function registerMonitor(program: Command, io: CliIo, stopSignal?: AbortSignal): void {
  const cmd = program
    .command('monitor')
    .description(
      'Stream membership changes, user events, queries and their answers as the agent sees them (Ctrl-C stops).',
    );
  withAgentOptions(cmd).action(async function (this: Command, flags: AgentFlags) {
    const client = clientFor(this, flags);
    const stop = stopSignal ?? processStop();
    await reportingFailures(io, async () => {
      const body = await client.eventStream(stop);
      const parser = new SseParser();
      const decoder = new TextDecoder();
      try {
        for await (const chunk of body) {
          for (const m of parser.push(decoder.decode(chunk, { stream: true }))) {
            if (!SHOWN.has(m.event)) continue;
            io.out(flags.json ? `${m.data}\n` : `${formatEvent(JSON.parse(m.data) as AgentEvent)}\n`);
          }
        }
      } catch (err) {
        if (stop.aborted) return;
        throw new AgentClientError(`event stream from ${client.baseUrl} broke: ${(err as Error).message}`);
      }
      if (!stop.aborted) throw new AgentClientError(`agent at ${client.baseUrl} closed the event stream`);
    });
  });
}

/** The event stream's kinds that monitor prints (others, added later, are skipped). */
const SHOWN: ReadonlySet<string> = new Set<AgentEvent['kind']>([
  'member',
  'user-event',
  'query',
  'query-response',
]);

/** One readable line: time, what happened, and how it arrived. */
export function formatEvent(e: AgentEvent): string {
  const time = new Date(e.at).toISOString();
  const how = (via: string, origin: string | null, hops: number | null) =>
    origin === null
      ? `via ${via}`
      : `via ${via} from ${origin}${hops === null ? '' : `, ${hops} hop${hops === 1 ? '' : 's'}`}`;
  if (e.kind === 'member') {
    const was = e.previous === null ? 'new' : `was ${e.previous}`;
    return `${time}  member ${e.member.name} ${e.member.state} (${was}) ${e.member.addr}  ${how(e.via, e.origin, e.hops)}`;
  }
  if (e.kind === 'query-response') {
    const what = e.ack ? 'ack' : `response ${JSON.stringify(e.payload)}`;
    const peer = e.direction === 'received' ? `from ${e.from}` : `sent to ${e.to}`;
    return `${time}  query ${e.name} ${what} ${peer}  id ${e.id}`;
  }
  const what = e.kind === 'query' ? 'query' : 'event';
  const id = e.kind === 'query' ? `  id ${e.id}` : '';
  return `${time}  ${what} ${e.name} ${JSON.stringify(e.payload)}  ${how(e.via, e.origin, e.hops)}${id}`;
}

/** Aborts on SIGINT/SIGTERM so monitor ends cleanly (exit 0) instead of being killed mid-line. */
function processStop(): AbortSignal {
  const ctrl = new AbortController();
  const abort = () => ctrl.abort();
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  return ctrl.signal;
}
