// `POST /v1/query` (see docs/api.md#queries): the request body's validation, the result's shape, and
// what the route needs from an agent. Kept apart from api.ts and control-api.ts so queries can grow
// without touching the other routes.
import { LIMITS } from '../wire/limits.js';
import { eventNameProblem } from '../wire/limits-check.js';
import type { QueryFilters } from '../wire/messages.js';
import { ApiError } from './api-error.js';
import { parseObject } from './control-api.js';
import { payloadBytes } from './event-body.js';

/** Query names starting with this are the agents' own (cluster-wide key rotation): users cannot send them. */
export const INTERNAL_QUERY_PREFIX = '_grapevine-';
export const DEFAULT_QUERY_TIMEOUT_MS = 5_000;
export const MAX_QUERY_TIMEOUT_MS = 300_000;

export interface QueryRequestBody {
  name: string;
  payload: Uint8Array;
  filters: QueryFilters;
  ack: boolean;
  timeoutMs: number;
}

export interface QueryAnswer {
  from: string;
  /** UTF-8 text (invalid sequences replaced) and exactly, as base64. */
  payload: string;
  payloadBase64: string;
}

export interface QueryResult {
  id: string;
  name: string;
  timeoutMs: number;
  /** Members that acknowledged (sorted); empty when no ack was asked for. */
  acks: string[];
  /** One per responder, in arrival order. */
  responses: QueryAnswer[];
}

export interface AgentQueries {
  /** Sends the query and resolves with what came back once its timeout has passed. */
  query(req: QueryRequestBody): Promise<QueryResult>;
}

const FIELDS = ['name', 'payload', 'payloadBase64', 'nodes', 'tags', 'ack', 'timeoutMs'] as const;

/** `{"name", "payload"? | "payloadBase64"?, "nodes"?: [..], "tags"?: {KEY: REGEX}, "ack"?, "timeoutMs"?}` */
export function parseQueryRequest(text: string, allowInternal = false): QueryRequestBody {
  const body = parseObject(text, 'query');
  for (const k of Object.keys(body))
    if (!(FIELDS as readonly string[]).includes(k))
      throw new ApiError(400, `query: unknown field '${k}' (expected ${FIELDS.join(', ')})`);
  const { name, payload, payloadBase64, nodes = [], tags = {}, ack = true } = body;
  const { timeoutMs = DEFAULT_QUERY_TIMEOUT_MS } = body;
  if (typeof name !== 'string' || name === '')
    throw new ApiError(400, "query: 'name' is required and must be a non-empty string");
  const problem = eventNameProblem(name);
  if (problem !== null) throw new ApiError(422, `query: ${problem}`);
  if (!allowInternal && name.startsWith(INTERNAL_QUERY_PREFIX))
    throw new ApiError(
      422,
      `query: names starting with '${INTERNAL_QUERY_PREFIX}' are reserved for the agents`,
    );
  const bytes = payloadBytes(payload, payloadBase64, 'query: ');
  if (!Array.isArray(nodes) || nodes.length > LIMITS.queryNodes)
    throw new ApiError(400, `query: 'nodes' must be a list of at most ${LIMITS.queryNodes} node names`);
  for (const n of nodes)
    if (typeof n !== 'string' || n === '' || Buffer.byteLength(n) > LIMITS.name)
      throw new ApiError(400, `query: node name '${String(n).slice(0, 100)}' is not a valid name`);
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags))
    throw new ApiError(400, "query: 'tags' must be an object of KEY: REGEX strings");
  const tagFilters: QueryFilters['tags'] = [];
  for (const [key, pattern] of Object.entries(tags)) {
    if (typeof pattern !== 'string')
      throw new ApiError(400, `query: the tag filter of '${key}' must be a string`);
    if (Buffer.byteLength(key) > LIMITS.tagKey || Buffer.byteLength(pattern) > LIMITS.queryPattern)
      throw new ApiError(400, `query: tag filter '${key.slice(0, 100)}' is too long`);
    tagFilters.push({ key, pattern });
  }
  if (tagFilters.length > LIMITS.queryTags)
    throw new ApiError(400, `query: at most ${LIMITS.queryTags} tag filters`);
  if (typeof ack !== 'boolean') throw new ApiError(400, "query: 'ack' must be true or false");
  return {
    name,
    payload: bytes,
    filters: { nodes: nodes as string[], tags: tagFilters },
    ack,
    timeoutMs: queryTimeout(timeoutMs, 'query'),
  };
}

/** A body's `timeoutMs` for a query (or an operation built on one): an integer of 1 … MAX_QUERY_TIMEOUT_MS. */
export function queryTimeout(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_QUERY_TIMEOUT_MS)
    throw new ApiError(400, `${what}: 'timeoutMs' must be an integer from 1 to ${MAX_QUERY_TIMEOUT_MS}`);
  return value;
}
