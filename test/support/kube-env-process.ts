// A control-plane process (etcd, kube-apiserver, kube-controller-manager) for tests: output goes
// to a log file in the env's temp dir (whose tail goes into startup errors), and every live
// process is SIGKILLed when the test process exits, so a crashed or interrupted run never leaves
// an apiserver behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

const live = new Set<ChildProcess>();
const cleanups = new Set<() => void>();
let exitHookInstalled = false;

function killAllNow(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // best effort: the process is exiting
    }
  }
  cleanups.clear();
}

/**
 * Runs `fn` (synchronously) if the test process exits or is signalled, after every managed
 * process was killed; e.g. to remove a temp dir. Returns a function that unregisters it.
 */
export function registerExitCleanup(fn: () => void): () => void {
  installExitHook();
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killAllNow);
  // A signal would otherwise end Node without an 'exit' event: clean up, then, unless someone
  // else (e.g. mocha) handles the signal, let it do what it would have done.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllNow();
      process.removeListener(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

export class ManagedProcess {
  private child: ChildProcess | undefined;
  private exitInfo: string | undefined;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly binary: string,
    private readonly args: () => string[],
    readonly logFile: string,
    /** How long stop() waits after SIGTERM before SIGKILL. */
    private readonly stopGraceMs = 5_000,
  ) {}

  /** Spawns the process (again, after stop()); output is appended to the log file. */
  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    installExitHook();
    const fd = openSync(this.logFile, 'a');
    const child = spawn(this.binary, this.args(), { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.child = child;
    this.exitInfo = undefined;
    live.add(child);
    this.exited = new Promise((resolve) => {
      const done = (info: string): void => {
        live.delete(child);
        this.exitInfo ??= info;
        resolve();
      };
      child.on('exit', (code, signal) => done(signal ? `killed by ${signal}` : `exited with code ${code}`));
      child.on('error', (err) => done(`failed to start: ${err.message}`));
    });
  }

  get running(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  /** Why the process is not running, or undefined while it is. */
  get exitReason(): string | undefined {
    return this.exitInfo;
  }

  /** SIGTERM, then SIGKILL after `graceMs` (at once when 0). Safe to call when not running. */
  async stop(graceMs = this.stopGraceMs): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** The last `lines` lines of the process's log. */
  logTail(lines = 30): string {
    let text: string;
    try {
      text = readFileSync(this.logFile, 'utf8');
    } catch {
      return '(no log)';
    }
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** An Error naming the process, what went wrong, and the tail of its log. */
  failure(what: string): Error {
    const state = this.exitReason ? ` (${this.exitReason})` : '';
    return new Error(`${this.name} ${what}${state}; log ${this.logFile}, last lines:\n${this.logTail()}`);
  }
}

/** Polls `check` until it returns true; throws `proc.failure(...)` when the process dies or time runs out. */
export async function waitUntil(
  proc: ManagedProcess,
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean> | boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.running) throw proc.failure(`stopped before ${what}`);
    const ok = await Promise.resolve()
      .then(check)
      .catch(() => false);
    if (ok) return;
    if (Date.now() > deadline) throw proc.failure(`not ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
