// Errors the API reports to its client as `{ "error": message }` with a chosen status, and the
// conversion of everything else into a generic 500 (no internals leak to the client).
import { BodyTooLargeError, type Context, type Reply } from '../../net/http-app.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function jsonError(c: Context, status: number, message: string): Reply {
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
  return (err: unknown, c: Context): Reply => {
    if (err instanceof ApiError) return jsonError(c, err.status, err.message);
    if (err instanceof BodyTooLargeError) return jsonError(c, 413, err.message);
    onInternalError(err);
    return jsonError(c, 500, 'internal error (see the agent log)');
  };
}
