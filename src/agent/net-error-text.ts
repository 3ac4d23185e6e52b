// Socket errors as a few words a user can act on ("connection refused"), shared by the agent's
// logs and the CLI's messages so both say the same thing for the same failure.

const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this host',
  EACCES: 'permission denied',
  EPIPE: 'connection closed by the peer',
};

/** The short text for an errno code, or undefined when it has none. */
export function errnoText(code: string | undefined): string | undefined {
  return code === undefined ? undefined : ERRNO_TEXT[code];
}

/** One short phrase for a socket error: the errno text, else the error's own message. */
export function describeNetError(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  return errnoText(e?.code) ?? (err instanceof Error ? err.message : String(err));
}

/** "HOST:PORT" of the peer a connect error was about, when the error says so. */
export function errorPeer(err: unknown): string | undefined {
  const e = err as { address?: unknown; port?: unknown } | undefined;
  if (typeof e?.address !== 'string' || typeof e.port !== 'number') return undefined;
  return e.address.includes(':') ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

/** Errors that mean "could not reach that peer": expected while seeds are down, never a bug. */
export function isUnreachable(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'EHOSTUNREACH' ||
    code === 'ENETUNREACH' ||
    code === 'ETIMEDOUT' ||
    code === 'ENOTFOUND' ||
    code === 'EAI_AGAIN' ||
    code === 'EPIPE'
  );
}
