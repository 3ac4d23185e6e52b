// Runs a command per membership change and user event, as Serf's -event-handler does: the event is
// described in environment variables, the payload (or the member line) goes to stdin. At most
// `concurrency` commands run at once; waiting events queue up to `maxQueued`, beyond which they are
// dropped and counted. A command running longer than `timeoutMs` is killed with its process group.
// For a query, as in Serf, the command's stdout is the response: read up to `maxResponseBytes` and
// handed to `onQueryResponse` when the command exits 0 (more output is an oversized response, refused);
// a query's run is also killed at the query's deadline.
import { spawn } from 'node:child_process';
import type { AgentEvent } from '../agent-api.js';
import { escapeControl } from '../wire/limits-check.js';

export interface EventHandlerOptions {
  /** Run by /bin/sh -c. */
  command: string;
  timeoutMs: number;
  concurrency: number;
  maxQueued?: number;
  /** The agent's own name and address, passed to every run. */
  self: { name: string; addr: string };
  /** Largest query response (stdout) passed on. */
  maxResponseBytes?: number;
  /** A query's run exited 0: its stdout (≤ maxResponseBytes), or 'too-large' when it wrote more. */
  onQueryResponse?: (e: QueryEvent, stdout: Uint8Array | 'too-large') => void;
  /** How each run ended: 'ok', 'failed' (non-zero exit or spawn error), 'timeout', 'dropped'. */
  onResult?: (
    result: EventHandlerResult,
    detail: { event: string; code?: number | null; stderr?: string },
  ) => void;
}

/** What runs the handler: membership changes, user events and queries (not query answers). */
export type HandlerEvent = Exclude<AgentEvent, { kind: 'query-response' }>;

export type QueryEvent = Extract<AgentEvent, { kind: 'query' }>;

export type EventHandlerResult = 'ok' | 'failed' | 'timeout' | 'dropped';

const STDERR_TAIL_BYTES = 2_048;

/** The environment a run sees (besides the agent's own): GRAPEVINE_EVENT and what describes it. */
export function handlerEnv(e: HandlerEvent, self: { name: string; addr: string }): Record<string, string> {
  const env: Record<string, string> = {
    GRAPEVINE_EVENT: e.kind === 'member' ? `member-${e.member.state}` : e.kind === 'query' ? 'query' : 'user',
    GRAPEVINE_SELF_NAME: self.name,
    GRAPEVINE_SELF_ADDR: self.addr,
    GRAPEVINE_VIA: e.via,
    GRAPEVINE_AT: String(e.at),
  };
  if (e.origin !== null) env.GRAPEVINE_ORIGIN = e.origin;
  if (e.hops !== null) env.GRAPEVINE_HOPS = String(e.hops);
  if (e.kind === 'member') {
    env.GRAPEVINE_MEMBER_NAME = e.member.name;
    env.GRAPEVINE_MEMBER_ADDR = e.member.addr;
    env.GRAPEVINE_MEMBER_STATE = e.member.state;
    env.GRAPEVINE_MEMBER_PREVIOUS = e.previous ?? '';
  } else if (e.kind === 'query') {
    env.GRAPEVINE_QUERY_NAME = e.name;
    env.GRAPEVINE_QUERY_ID = e.id;
  } else env.GRAPEVINE_USER_EVENT = e.name;
  // Event and query names come from peers: a NUL byte would make spawn throw, and other control
  // characters have no business in a shell's environment. Escaped as \uXXXX, never cut.
  for (const [k, v] of Object.entries(env)) env[k] = escapeControl(v, Number.POSITIVE_INFINITY);
  return env;
}

/** stdin of a run: the user event's or query's payload bytes, or one line `NAME ADDR STATE k=v,k=v` for a member. */
export function handlerStdin(e: HandlerEvent): Buffer {
  if (e.kind !== 'member') return Buffer.from(e.payloadBase64, 'base64');
  // Tags come from peers: a tab or newline in one must not split or add a line of what the handler reads.
  const esc = (t: string) => escapeControl(t, Number.POSITIVE_INFINITY);
  const tags = Object.entries(e.member.tags)
    .map(([k, v]) => `${esc(k)}=${esc(v)}`)
    .join(',');
  return Buffer.from(`${e.member.name}\t${e.member.addr}\t${e.member.state}\t${tags}\n`);
}

export class EventHandler {
  private readonly queue: HandlerEvent[] = [];
  private readonly running = new Set<() => void>();
  private closed = false;

  constructor(private readonly o: EventHandlerOptions) {}

  handle(e: HandlerEvent): void {
    if (this.closed) return;
    if (this.queue.length >= (this.o.maxQueued ?? 256)) {
      this.o.onResult?.('dropped', { event: describe(e) });
      return;
    }
    this.queue.push(e);
    this.pump();
  }

  /** Kills running commands and forgets queued events. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    for (const kill of [...this.running]) kill();
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.o.concurrency && this.queue.length > 0) {
      this.run(this.queue.shift()!);
    }
  }

  private run(e: HandlerEvent): void {
    const child = spawn('/bin/sh', ['-c', this.o.command], {
      env: { ...process.env, ...handlerEnv(e, this.o.self) },
      stdio: ['pipe', e.kind === 'query' ? 'pipe' : 'ignore', 'pipe'],
      // Its own process group, so a timeout kills what the shell started too.
      detached: true,
    });
    let stderr = '';
    let result: EventHandlerResult | null = null;
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(
      () => {
        result = 'timeout';
        kill();
      },
      runTimeout(e, this.o.timeoutMs),
    );
    this.running.add(kill);
    const maxOut = this.o.maxResponseBytes ?? 1024;
    const out: Buffer[] = [];
    let outBytes = 0;
    child.stdout?.on('data', (d: Buffer) => {
      // Keeps one byte past the limit, enough to know the response is too large.
      if (outBytes <= maxOut) out.push(d.subarray(0, maxOut + 1 - outBytes));
      outBytes += d.length;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-STDERR_TAIL_BYTES);
    });
    // A handler that does not read stdin closes it early: that is not a failure.
    child.stdin?.on('error', () => {});
    child.stdin?.end(handlerStdin(e));
    const finish = (code: number | null): void => {
      if (!this.running.delete(kill)) return;
      clearTimeout(timer);
      result ??= code === 0 ? 'ok' : 'failed';
      if (result === 'ok' && e.kind === 'query')
        this.o.onQueryResponse?.(e, outBytes > maxOut ? 'too-large' : new Uint8Array(Buffer.concat(out)));
      this.o.onResult?.(result, { event: describe(e), code, stderr: stderr.trim() });
      this.pump();
    };
    child.on('error', () => finish(null));
    child.on('close', (code) => finish(code));
  }
}

function describe(e: HandlerEvent): string {
  if (e.kind === 'member') return `member ${e.member.name} ${e.member.state}`;
  return e.kind === 'query' ? `query ${e.name}` : `user event ${e.name}`;
}

/** A query's run ends at its deadline (an answer after it would be refused anyway). */
function runTimeout(e: HandlerEvent, timeoutMs: number): number {
  if (e.kind !== 'query') return timeoutMs;
  return Math.max(0, Math.min(timeoutMs, e.deadline - Date.now()));
}
