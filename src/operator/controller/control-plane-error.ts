// Whether an API error is the control plane's (apiserver unreachable, etcd down, overloaded) rather
// than about the object being reconciled. The operator retries the first kind on a short backoff shared
// by all keys and only the second on the key's own doubling backoff.
import { statusCode } from '../apply/object-applier.js';

const NETWORK_ERRORS = new Set(['FetchError', 'AbortError', 'TimeoutError']);

export function isControlPlaneError(err: unknown): boolean {
  const code = statusCode(err);
  if (code !== undefined) return code === 429 || code >= 500;
  // No HTTP answer at all: refused, reset or timed out (node-fetch's FetchError carries a system code).
  const e = err as { name?: unknown; code?: unknown; cause?: { code?: unknown } } | null;
  return (
    (typeof e?.name === 'string' && NETWORK_ERRORS.has(e.name)) ||
    typeof e?.code === 'string' ||
    typeof e?.cause?.code === 'string'
  );
}
