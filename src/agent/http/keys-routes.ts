// `POST /v1/keys` (see docs/api.md#keys): cluster-wide keyring operations through internal queries.
// Mounted by createApi after its auth and body-limit middleware (a write route: token required).
import type { HttpApp } from '../../net/http-app.js';
import { KeyOpRefused, type KeysResult } from '../keys/cluster-keys.js';
import { KEY_OPS, type KeyOp } from '../keys/key-ops.js';
import { ApiError } from './api-error.js';
import { parseObject } from './control-api.js';
import type { RouteFn } from './control-routes.js';
import { isJsonContentType } from './event-body.js';
import { DEFAULT_QUERY_TIMEOUT_MS, queryTimeout } from './query-api.js';

export interface AgentKeys {
  run(op: KeyOp, key: Uint8Array | undefined, timeoutMs: number): Promise<KeysResult>;
}

const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/;

/** `{"op": "install"|"use"|"remove"|"list", "key"?: BASE64, "timeoutMs"?: N}` */
export function parseKeysRequest(text: string): { op: KeyOp; key?: Uint8Array; timeoutMs: number } {
  const body = parseObject(text, 'keys');
  for (const k of Object.keys(body))
    if (!['op', 'key', 'timeoutMs'].includes(k))
      throw new ApiError(400, `keys: unknown field '${k}' (expected op, key, timeoutMs)`);
  const { op, key, timeoutMs = DEFAULT_QUERY_TIMEOUT_MS } = body;
  if (typeof op !== 'string' || !(KEY_OPS as readonly string[]).includes(op))
    throw new ApiError(400, `keys: 'op' must be one of ${KEY_OPS.join(', ')}`);
  const timeout = queryTimeout(timeoutMs, 'keys');
  if (op === 'list') {
    if (key !== undefined) throw new ApiError(400, "keys: 'list' takes no key");
    return { op, timeoutMs: timeout };
  }
  if (typeof key !== 'string' || !BASE64_KEY.test(key))
    throw new ApiError(400, "keys: 'key' must be a base64 AES-256 key (32 bytes, from 'grapevine keygen')");
  return { op: op as KeyOp, key: new Uint8Array(Buffer.from(key, 'base64')), timeoutMs: timeout };
}

export function keysRoutes(app: HttpApp, keys: AgentKeys, route: RouteFn): void {
  route(app, '/v1/keys', {
    POST: async (c) => {
      if (!isJsonContentType(c.req.header('content-type')))
        throw new ApiError(415, 'Content-Type must be application/json');
      const { op, key, timeoutMs } = parseKeysRequest(await c.req.text());
      try {
        return c.json(await keys.run(op, key, timeoutMs));
      } catch (err) {
        if (err instanceof KeyOpRefused || err instanceof RangeError) throw new ApiError(422, err.message);
        throw err;
      }
    },
  });
}
