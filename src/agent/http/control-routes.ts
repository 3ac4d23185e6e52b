// The routes behind `grapevine info`, `join`, `tags` and `kv list` (see docs/api.md). Mounted by
// createApi after its auth and body-limit middleware, so they are protected like every /v1 route.

import type { Handler, HttpApp } from '../../net/http-app.js';
import { ApiError, limitChecked } from './api-error.js';
import {
  type AgentControl,
  type ForceLeaveResult,
  parseForceLeaveRequest,
  parseJoinRequest,
  parseTagsRequest,
} from './control-api.js';
import { isJsonContentType } from './event-body.js';

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type RouteFn = (app: HttpApp, path: string, handlers: Partial<Record<Method, Handler>>) => void;

const MAX_PREFIX_BYTES = 256;

async function jsonBody(text: () => Promise<string>, contentType: string | undefined): Promise<string> {
  if (!isJsonContentType(contentType)) throw new ApiError(415, 'Content-Type must be application/json');
  return text();
}

export function controlRoutes(app: HttpApp, control: AgentControl, route: RouteFn): void {
  route(app, '/v1/info', { GET: (c) => c.json(control.info()) });
  route(app, '/v1/join', {
    POST: async (c) => {
      const { addrs, timeoutMs } = parseJoinRequest(
        await jsonBody(() => c.req.text(), c.req.header('content-type')),
      );
      return c.json(await control.join(addrs, timeoutMs));
    },
  });
  route(app, '/v1/tags', {
    GET: (c) => c.json(control.info().tags),
    POST: async (c) => {
      const { set, remove } = parseTagsRequest(
        await jsonBody(() => c.req.text(), c.req.header('content-type')),
      );
      return c.json(limitChecked(() => control.updateTags(set, remove)));
    },
  });
  route(app, '/v1/force-leave', {
    POST: async (c) => {
      const { name } = parseForceLeaveRequest(
        await jsonBody(() => c.req.text(), c.req.header('content-type')),
      );
      const d = control.forceLeave(name);
      if (!d.ok) throw new ApiError(d.reason === 'unknown' ? 404 : 409, `force-leave: ${d.message}`);
      return c.json({ name, state: 'left', previous: d.previous } satisfies ForceLeaveResult);
    },
  });
  route(app, '/v1/kv', {
    GET: (c) => {
      const prefix = c.req.query('prefix') ?? '';
      if (Buffer.byteLength(prefix) > MAX_PREFIX_BYTES)
        throw new ApiError(400, `prefix longer than ${MAX_PREFIX_BYTES} bytes`);
      return c.json(control.kvList(prefix));
    },
  });
}
