// What the run-time CLI commands need from an agent beyond AgentApi (`info`, `join`, `tags`,
// `kv list`), and the validation of their request bodies. Kept apart from api.ts so the routes of
// the CLI commands can grow without touching the core API.
import type { ForceLeaveDecision } from '../core/force-leave.js';
import { memberNameProblem } from '../wire/member-name.js';
import type { MemberState } from '../wire/messages.js';
import { ApiError } from './api-error.js';

export interface AgentInfo {
  name: string;
  addr: string;
  cluster: string;
  version: string;
  protocol: number;
  runtime: { node: string; pid: number; uptimeSeconds: number; rssBytes: number; heapUsedBytes: number };
  ready: boolean;
  leaving: boolean;
  healthScore: number;
  viewDigest: string;
  members: Readonly<Record<MemberState, number>>;
  encrypted: boolean;
  tags: Record<string, string>;
  config: { bind: string; http: string; join: string[]; joinDns: string | null; eventHandler: string | null };
}

export interface JoinResult {
  /** Seeds that answered: a member with that address is in the view. */
  joined: string[];
  /** Seeds that did not, each with the reason when one is known. */
  failed: Array<{ addr: string; reason: string }>;
}

export interface KvListing {
  key: string;
  bytes: number;
  writer: string;
  /** Wall-clock ms of the write at its writer. */
  at: number;
}

export interface AgentControl {
  info(): AgentInfo;
  /** Contacts the seeds now and waits (at most timeoutMs) until each answered or failed. */
  join(addrs: string[], timeoutMs: number): Promise<JoinResult>;
  /** Sets and deletes tags, spread as a membership update; throws RangeError over the tag limits. */
  updateTags(set: Record<string, string>, remove: string[]): Record<string, string>;
  kvList(prefix: string): KvListing[];
  /** Marks a failed (dead) member `left`, spread as a membership update; refusals change nothing. */
  forceLeave(name: string): ForceLeaveDecision;
}

/** The answer of POST /v1/force-leave. */
export interface ForceLeaveResult {
  name: string;
  state: 'left';
  /** `dead` when this call marked it left; `left` when it already was (nothing to do). */
  previous: 'dead' | 'left';
}

const MAX_JOIN_ADDRS = 64;
const HOST_PORT = /^(\[[0-9A-Fa-f:.%a-zA-Z]+\]|[^:[\]\s]+):[0-9]{1,5}$/;
export const MAX_JOIN_TIMEOUT_MS = 60_000;
/** Tags the agent sets itself (its version and wire protocol): users cannot set or delete them. */
export const RESERVED_TAG_PREFIX = 'grapevine/';

export function parseObject(text: string, what: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ApiError(400, `${what}: body is not valid JSON`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ApiError(400, `${what}: body must be a JSON object`);
  return body as Record<string, unknown>;
}

function onlyFields(body: Record<string, unknown>, allowed: readonly string[], what: string): void {
  for (const k of Object.keys(body))
    if (!allowed.includes(k))
      throw new ApiError(400, `${what}: unknown field '${k}' (expected ${allowed.join(', ')})`);
}

/** `{"addrs": ["HOST:PORT", …], "timeoutMs"?: N}` */
export function parseJoinRequest(text: string): { addrs: string[]; timeoutMs: number } {
  const body = parseObject(text, 'join');
  onlyFields(body, ['addrs', 'timeoutMs'], 'join');
  const { addrs, timeoutMs = 5_000 } = body;
  if (!Array.isArray(addrs) || addrs.length === 0 || addrs.length > MAX_JOIN_ADDRS)
    throw new ApiError(400, `join: 'addrs' must be a list of 1 to ${MAX_JOIN_ADDRS} HOST:PORT strings`);
  for (const a of addrs)
    if (typeof a !== 'string' || a.length > 300 || !HOST_PORT.test(a))
      throw new ApiError(400, `join: '${String(a).slice(0, 100)}' is not HOST:PORT`);
  if (
    typeof timeoutMs !== 'number' ||
    !Number.isInteger(timeoutMs) ||
    timeoutMs < 0 ||
    timeoutMs > MAX_JOIN_TIMEOUT_MS
  )
    throw new ApiError(400, `join: 'timeoutMs' must be an integer from 0 to ${MAX_JOIN_TIMEOUT_MS}`);
  return { addrs: addrs as string[], timeoutMs };
}

/** `{"set"?: {KEY: VALUE}, "delete"?: [KEY, …]}`; reserved tags are refused. */
export function parseTagsRequest(text: string): { set: Record<string, string>; remove: string[] } {
  const body = parseObject(text, 'tags');
  onlyFields(body, ['set', 'delete'], 'tags');
  const { set = {}, delete: remove = [] } = body;
  if (typeof set !== 'object' || set === null || Array.isArray(set))
    throw new ApiError(400, "tags: 'set' must be an object of string values");
  for (const [k, v] of Object.entries(set))
    if (typeof v !== 'string') throw new ApiError(400, `tags: the value of '${k}' must be a string`);
  if (!Array.isArray(remove) || remove.some((k) => typeof k !== 'string'))
    throw new ApiError(400, "tags: 'delete' must be a list of tag names");
  const keys = [...Object.keys(set), ...(remove as string[])];
  if (keys.length === 0) throw new ApiError(400, "tags: nothing to do (give 'set' or 'delete')");
  for (const k of keys) {
    if (k === '') throw new ApiError(400, 'tags: a tag name cannot be empty');
    if (k.startsWith(RESERVED_TAG_PREFIX))
      throw new ApiError(
        400,
        `tags: '${k}' is set by the agent itself (names starting with ${RESERVED_TAG_PREFIX})`,
      );
  }
  return { set: set as Record<string, string>, remove: remove as string[] };
}

/** `{"name": NAME}` */
export function parseForceLeaveRequest(text: string): { name: string } {
  const body = parseObject(text, 'force-leave');
  onlyFields(body, ['name'], 'force-leave');
  const { name } = body;
  const problem = memberNameProblem(name);
  if (problem !== null || typeof name !== 'string')
    throw new ApiError(400, `force-leave: 'name' ${problem ?? 'must be a string'}`);
  return { name };
}
