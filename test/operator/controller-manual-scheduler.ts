// A Scheduler whose clock only moves when a test calls advance(): timers fire in deadline order.
import type { Cancel, Scheduler } from '../../src/operator/controller/scheduler.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

export class ManualScheduler implements Scheduler {
  private clock = 0;
  private seq = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.clock;
  }

  schedule(fn: () => void, ms: number): Cancel {
    const timer: Timer = { at: this.clock + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  get pending(): number {
    return this.timers.length;
  }

  /** Moves the clock forward by ms, firing every timer that falls due (including ones scheduled meanwhile). */
  advance(ms: number): void {
    const target = this.clock + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (next === undefined) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.clock = next.at;
      next.fn();
    }
    this.clock = target;
  }
}
