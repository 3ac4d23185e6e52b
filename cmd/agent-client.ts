// How the CLI reaches a running agent: the shared --agent/--token-file/--json options and a small
// HTTP client over node's fetch that turns every failure into one line for the user.
import { readFileSync } from 'node:fs';
import { type Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { MemberView } from '../src/agent/agent-api.js';
import type { AgentInfo, ForceLeaveResult, JoinResult, KvListing } from '../src/agent/http/control-api.js';
import type { QueryResult } from '../src/agent/http/query-api.js';
import type { KeysResult } from '../src/agent/keys/cluster-keys.js';
import { errnoText } from '../src/agent/net-error-text.js';
import { type CliIo, EXIT_FAILURE } from './cli-io.js';

export const DEFAULT_AGENT_URL = 'http://127.0.0.1:7947';
const TIMEOUT_MS = 10_000;

/** A failure the user can act on: reported as one line, exit status 1. */
export class AgentClientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgentClientError';
  }
}

/**
 * Runs a command's body; an AgentClientError becomes one line on stderr and a 'grapevine.*'
 * CommanderError, which runCli turns into its exit code (1) without printing anything more.
 */
export async function reportingFailures(io: CliIo, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (!(err instanceof AgentClientError)) throw err;
    io.err(`grapevine: ${err.message}\n`);
    throw new CommanderError(EXIT_FAILURE, 'grapevine.agent-client', err.message);
  }
}

/** The JSON body of POST /v1/query, as docs/api.md describes it. */
export interface QueryHttpBody {
  name: string;
  payload: string;
  nodes: string[];
  tags: Record<string, string>;
  ack: boolean;
  timeoutMs: number;
}

export interface AgentFlags {
  agent: string;
  tokenFile?: string;
  json?: boolean;
}

export function agentUrlArg(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`expected a URL such as ${DEFAULT_AGENT_URL}, got '${value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError(`expected an http:// or https:// URL, got '${value}'`);
  return url.href.replace(/\/+$/, '');
}

/** Adds the options every agent-client command takes. */
export function withAgentOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--agent <url>', 'agent HTTP API address')
        .env('GRAPEVINE_AGENT')
        .default(DEFAULT_AGENT_URL)
        .argParser(agentUrlArg),
    )
    .option('--token-file <path>', 'file holding the bearer token the agent requires')
    .option('--json', 'print JSON');
}

/** Builds the client for a command's flags; an unreadable or empty token file is a usage error. */
export function clientFor(cmd: Command, flags: AgentFlags): AgentClient {
  let token: string | undefined;
  if (flags.tokenFile !== undefined) {
    try {
      token = readFileSync(flags.tokenFile, 'utf8').trim();
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? String(err);
      cmd.error(`error: cannot read --token-file '${flags.tokenFile}' (${why})`, { exitCode: 2 });
    }
    if (token === '') cmd.error(`error: --token-file '${flags.tokenFile}' is empty`, { exitCode: 2 });
  }
  // AgentFlags.agent is a string once the parser ran; the env value is parsed too.
  return new AgentClient(agentUrlArg(flags.agent), token);
}

export class AgentClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
    private readonly timeoutMs = TIMEOUT_MS,
  ) {}

  async members(states: readonly string[] = []): Promise<MemberView[]> {
    const query = states.length > 0 ? `?state=${states.map(encodeURIComponent).join(',')}` : '';
    const res = await this.request('GET', `/v1/members${query}`);
    return (await this.readJson(res)) as MemberView[];
  }

  async fireEvent(name: string, payload: string): Promise<{ name: string; payloadBytes: number }> {
    const res = await this.request(
      'POST',
      '/v1/events',
      JSON.stringify({ name, payload }),
      'application/json',
    );
    return (await this.readJson(res)) as { name: string; payloadBytes: number };
  }

  /** Waits for the query's timeout on the agent's side; the HTTP timeout allows for that. */
  async query(body: QueryHttpBody): Promise<QueryResult> {
    const res = await this.request(
      'POST',
      '/v1/query',
      JSON.stringify(body),
      'application/json',
      [],
      body.timeoutMs + this.timeoutMs,
    );
    return (await this.readJson(res)) as QueryResult;
  }

  /** A cluster-wide keyring operation; waits for the members' answers (timeoutMs) on the agent's side. */
  async keys(op: string, key: string | undefined, timeoutMs: number): Promise<KeysResult> {
    const res = await this.request(
      'POST',
      '/v1/keys',
      JSON.stringify({ op, key, timeoutMs }),
      'application/json',
      [],
      timeoutMs + this.timeoutMs,
    );
    return (await this.readJson(res)) as KeysResult;
  }

  /** undefined when the key does not exist. */
  async kvGet(key: string): Promise<Uint8Array | undefined> {
    const res = await this.request('GET', kvPath(key), undefined, undefined, [404]);
    if (res.status === 404) return undefined;
    return new Uint8Array(await res.arrayBuffer());
  }

  async kvPut(key: string, value: Uint8Array): Promise<void> {
    await this.request('PUT', kvPath(key), value, 'application/octet-stream');
  }

  /** false when the key did not exist. */
  async kvDelete(key: string): Promise<boolean> {
    const res = await this.request('DELETE', kvPath(key), undefined, undefined, [404]);
    return res.status !== 404;
  }

  async info(): Promise<AgentInfo> {
    return (await this.readJson(await this.request('GET', '/v1/info'))) as AgentInfo;
  }

  /** Waits up to timeoutMs on the agent's side; the HTTP timeout allows for that. */
  async join(addrs: string[], timeoutMs: number): Promise<JoinResult> {
    const body = JSON.stringify({ addrs, timeoutMs });
    const res = await this.request(
      'POST',
      '/v1/join',
      body,
      'application/json',
      [],
      timeoutMs + this.timeoutMs,
    );
    return (await this.readJson(res)) as JoinResult;
  }

  async updateTags(set: Record<string, string>, remove: string[]): Promise<Record<string, string>> {
    const body = JSON.stringify({ set, delete: remove });
    return (await this.readJson(await this.request('POST', '/v1/tags', body, 'application/json'))) as Record<
      string,
      string
    >;
  }

  async kvList(prefix: string): Promise<KvListing[]> {
    const query = prefix === '' ? '' : `?prefix=${encodeURIComponent(prefix)}`;
    return (await this.readJson(await this.request('GET', `/v1/kv${query}`))) as KvListing[];
  }

  /**
   * Opens the event stream (no timeout once connected); resolves with the response whose body is the
   * SSE text. `signal` ends it.
   */
  async eventStream(signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const res = await this.request('GET', '/v1/events', undefined, undefined, [], undefined, signal);
    if (res.body === null) throw new AgentClientError(`${this.baseUrl} sent an empty event stream`);
    return res.body;
  }

  async forceLeave(name: string): Promise<ForceLeaveResult> {
    const body = JSON.stringify({ name });
    const res = await this.request('POST', '/v1/force-leave', body, 'application/json');
    return (await this.readJson(res)) as ForceLeaveResult;
  }

  async leave(): Promise<{ status: string }> {
    const res = await this.request('POST', '/v1/leave');
    return (await this.readJson(res)) as { status: string };
  }

  // Something other than an agent at that address answers with anything but our JSON.
  private async readJson(res: Response): Promise<unknown> {
    try {
      return await res.json();
    } catch {
      throw new AgentClientError(`${this.baseUrl} did not answer with JSON: is it a grapevine agent's API?`);
    }
  }

  private async request(
    method: string,
    path: string,
    body?: string | Uint8Array,
    contentType?: string,
    expected: readonly number[] = [],
    timeoutMs = this.timeoutMs,
    stream?: AbortSignal,
  ): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (contentType !== undefined) headers['content-type'] = contentType;
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body,
        // A stream has no overall timeout (only its caller's signal); a request has one.
        signal: stream ?? AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new AgentClientError(
        `cannot reach agent at ${this.baseUrl}: ${describeFetchError(err, timeoutMs)}`,
      );
    }
    if (res.ok || expected.includes(res.status)) return res;
    const detail = await errorDetail(res);
    const hint = res.status === 401 ? ' (pass the right --token-file)' : '';
    throw new AgentClientError(`agent at ${this.baseUrl} answered ${res.status}: ${detail}${hint}`);
  }
}

const kvPath = (key: string): string => `/v1/kv/${encodeURIComponent(key)}`;

async function errorDetail(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON: fall through to the raw text
  }
  const line = text.trim().split('\n', 1)[0] ?? '';
  return line === '' ? res.statusText || 'no details' : line.slice(0, 200);
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError'))
    return `no answer within ${timeoutMs / 1000} s`;
  // undici reports network failures as TypeError('fetch failed') with the system error as cause.
  let cause: unknown = err instanceof Error ? err.cause : undefined;
  while (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (code !== undefined) return errnoText(code) ?? cause.message;
    cause = cause.cause;
  }
  if (err instanceof Error && err.cause instanceof Error) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}
