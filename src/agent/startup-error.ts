// A start-up failure the user can fix (a port in use, no seed answering): printed as one line,
// exit status 1, after the agent has released everything it had opened.
import { describeNetError } from './net-error-text.js';

export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

/** A bind failure, naming what could not be bound and the option that changes it. */
export function bindError(err: unknown, what: string, addr: string, option: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'EADDRINUSE' && code !== 'EADDRNOTAVAIL' && code !== 'EACCES') return err;
  const hint = code === 'EADDRINUSE' ? ' (is another agent running?)' : '';
  return new StartupError(
    `cannot bind the ${what} to ${addr}: ${describeNetError(err)}${hint}; choose another ${option}`,
  );
}
