// `POST /v1/query` (see docs/api.md#queries). Mounted by createApi after its auth and body-limit
// middleware, so it requires the API token like every other write. The answer is one JSON document
// sent when the query's timeout has passed: acks and responses gathered until then.
import type { HttpApp } from '../../net/http-app.js';
import { QueryBusyError } from '../core/queries.js';
import { ApiError } from './api-error.js';
import type { RouteFn } from './control-routes.js';
import { isJsonContentType } from './event-body.js';
import { type AgentQueries, parseQueryRequest } from './query-api.js';

export function queryRoutes(app: HttpApp, queries: AgentQueries, route: RouteFn): void {
  route(app, '/v1/query', {
    POST: async (c) => {
      if (!isJsonContentType(c.req.header('content-type')))
        throw new ApiError(415, 'Content-Type must be application/json');
      const req = parseQueryRequest(await c.req.text());
      try {
        return c.json(await queries.query(req));
      } catch (err) {
        if (err instanceof RangeError) throw new ApiError(422, err.message);
        if (err instanceof QueryBusyError) throw new ApiError(503, err.message);
        throw err;
      }
    },
  });
}
