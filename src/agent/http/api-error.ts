// Errors the API reports to its client as `{ "error": message }` with a chosen status, and the
// conversion of everything else into a generic 500 (no internals leak to the client).
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function jsonError(c: Context, status: ContentfulStatusCode, message: string): Response {
  return c.json({ error: message }, status);
}

/** Runs an agent call that signals a user-side limit with RangeError; that becomes a 422. */
export function limitChecked<T>(call: () => T): T {
  try {
    return call();
  } catch (err) {
    if (err instanceof RangeError) throw new ApiError(422, err.message);
    throw err;
  }
}

export function errorHandler(onInternalError: (err: unknown) => void) {
  return (err: unknown, c: Context): Response => {
    if (err instanceof ApiError) return jsonError(c, err.status, err.message);
    // Raised by hono itself (e.g. a malformed request it refuses to route).
    if (err instanceof HTTPException && err.status < 500)
      return jsonError(c, err.status, err.message || 'bad request');
    onInternalError(err);
    return jsonError(c, 500, 'internal error (see the agent log)');
  };
}
