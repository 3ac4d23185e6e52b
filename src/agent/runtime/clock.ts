import { performance } from 'node:perf_hooks';

/**
 * Epoch-aligned milliseconds that never go backwards: the process start time plus a monotonic
 * offset, so wall-clock steps (NTP, manual changes) cannot reorder the core's deadlines.
 */
export function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}
