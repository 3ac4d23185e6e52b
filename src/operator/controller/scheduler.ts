// Time source and timers behind one small interface, so queue/backoff/election logic can be driven by a
// manual clock in tests instead of sleeping.
import { performance } from 'node:perf_hooks';

/** Cancels a scheduled callback; calling it after the callback ran (or twice) is harmless. */
export type Cancel = () => void;

export interface Scheduler {
  /** Monotonic milliseconds (never goes backwards; not wall-clock). */
  now(): number;
  /** Runs fn once after ms milliseconds. */
  schedule(fn: () => void, ms: number): Cancel;
}

export const realScheduler: Scheduler = {
  now: () => performance.now(),
  schedule(fn, ms) {
    const timer = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
};

/** Resolves after ms on the given scheduler; an AbortSignal ends the wait early (resolving, not rejecting). */
export function sleep(scheduler: Scheduler, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      cancel();
      resolve();
    };
    const cancel = scheduler.schedule(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
