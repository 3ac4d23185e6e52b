// Runs a command per membership change and user event, as Serf's -event-handler does: the event is
// described in environment variables, the payload (or the member line) goes to stdin. At most
// `concurrency` commands run at once; waiting events queue up to `maxQueued`, beyond which they are
// dropped and counted. A command running longer than `timeoutMs` is killed with its process group.
import { spawn } from 'node:child_process';
import type { AgentEvent } from '../agent-api.js';

export interface EventHandlerOptions {
  /** Run by /bin/sh -c. */
  command: string;
  timeoutMs: number;
  concurrency: number;
  maxQueued?: number;
  /** The agent's own name and address, passed to every run. */
  self: { name: string; addr: string };
  /** How each run ended: 'ok', 'failed' (non-zero exit or spawn error), 'timeout', 'dropped'. */
  onResult?: (
    result: EventHandlerResult,
    detail: { event: string; code?: number | null; stderr?: string },
  ) => void;
}

export type EventHandlerResult = 'ok' | 'failed' | 'timeout' | 'dropped';

const STDERR_TAIL_BYTES = 2_048;

/** The environment a run sees (besides the agent's own): GRAPEVINE_EVENT and what describes it. */
export function handlerEnv(e: AgentEvent, self: { name: string; addr: string }): Record<string, string> {
  const env: Record<string, string> = {
    GRAPEVINE_EVENT: e.kind === 'member' ? `member-${e.member.state}` : 'user',
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
  } else env.GRAPEVINE_USER_EVENT = e.name;
  return env;
}

/** stdin of a run: the user event's payload bytes, or one line `NAME ADDR STATE k=v,k=v` for a member. */
export function handlerStdin(e: AgentEvent): Buffer {
  if (e.kind === 'user-event') return Buffer.from(e.payloadBase64, 'base64');
  const tags = Object.entries(e.member.tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return Buffer.from(`${e.member.name}\t${e.member.addr}\t${e.member.state}\t${tags}\n`);
}

export class EventHandler {
  private readonly queue: AgentEvent[] = [];
  private readonly running = new Set<() => void>();
  private closed = false;

  constructor(private readonly o: EventHandlerOptions) {}

  handle(e: AgentEvent): void {
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

  private run(e: AgentEvent): void {
    const child = spawn('/bin/sh', ['-c', this.o.command], {
      env: { ...process.env, ...handlerEnv(e, this.o.self) },
      stdio: ['pipe', 'ignore', 'pipe'],
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
    const timer = setTimeout(() => {
      result = 'timeout';
      kill();
    }, this.o.timeoutMs);
    this.running.add(kill);
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
      this.o.onResult?.(result, { event: describe(e), code, stderr: stderr.trim() });
      this.pump();
    };
    child.on('error', () => finish(null));
    child.on('close', (code) => finish(code));
  }
}

function describe(e: AgentEvent): string {
  return e.kind === 'member' ? `member ${e.member.name} ${e.member.state}` : `user event ${e.name}`;
}
