import type { CoreEvent, CoreOutput } from '../core/types.js';
import type { Channel, Transport } from '../transport/transport.js';
import type { Addr } from '../wire/messages.js';
import { monotonicNow } from './clock.js';

/** The part of GossipNode the runner drives; kept local so the runner does not depend on the class. */
export interface DrivableCore {
  receive(from: Addr, bytes: Uint8Array, channel: Channel, now: number): void;
  tick(now: number): void;
  /** Absolute ms, same timebase as now; Infinity or NaN when nothing is scheduled. */
  nextDeadline(): number;
}

export type CorePhase = 'receive' | 'tick';

export interface NodeRunnerOptions<C extends DrivableCore> {
  transport: Transport;
  /** Builds the core; its output is wired to the transport and onEvent. */
  createCore: (out: CoreOutput, now: number) => C;
  onEvent?: (event: CoreEvent) => void;
  /** Deliveries the transport reports as failed (mostly stream: refused, reset, timeout). */
  onSendError?: (to: Addr, channel: Channel, error: Error) => void;
  /** A peer closed a stream connection held open to it (transports with connections only). */
  onPeerClosed?: (to: Addr) => void;
  /**
   * An exception thrown by the core while handling a packet or a tick. Without a handler it is
   * rethrown (it is a bug, and hiding it would leave the node silently stuck).
   */
  onCoreError?: (error: unknown, phase: CorePhase) => void;
  /** Longest single timer wait, so a missed re-arm can never stall the node for long. Default 1000. */
  maxTimerMs?: number;
  /** Default monotonicNow; injectable for tests. */
  clock?: () => number;
}

/** Drives a sans-IO core with real sockets and one timer. */
export class NodeRunner<C extends DrivableCore> {
  readonly core: C;
  private readonly transport: Transport;
  private readonly clock: () => number;
  private readonly maxTimerMs: number;
  private timer: NodeJS.Timeout | null = null;
  /** Absolute time the armed timer targets. */
  private timerAt = Number.POSITIVE_INFINITY;
  /** Whether the armed timer is only the maxTimerMs cap (no deadline before it). */
  private timerCapOnly = false;
  private closed = false;
  private ticks = 0;

  constructor(private readonly opts: NodeRunnerOptions<C>) {
    this.transport = opts.transport;
    this.clock = opts.clock ?? monotonicNow;
    this.maxTimerMs = opts.maxTimerMs ?? 1000;
    const out: CoreOutput = {
      send: (to, bytes, channel) => this.transport.send(to, bytes, channel),
      event: (e) => opts.onEvent?.(e),
    };
    this.core = opts.createCore(out, this.clock());
    this.transport.onReceive((from, bytes, channel) => this.receive(from, bytes, channel));
    this.transport.onSendError((to, channel, error) => opts.onSendError?.(to, channel, error));
    this.transport.onPeerClosed?.((to) => opts.onPeerClosed?.(to));
    this.rearm();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Number of core.tick calls so far (for tests and metrics). */
  get tickCount(): number {
    return this.ticks;
  }

  /** Runs an API call on the core at the current time, then re-arms the timer for any new deadline. */
  run<T>(fn: (now: number, core: C) => T): T {
    if (this.closed) throw new Error('node runner is closed');
    try {
      return fn(this.clock(), this.core);
    } finally {
      this.rearm();
    }
  }

  /** Stops the timer and closes the transport; the core is left as it is. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clearTimer();
    await this.transport.close();
  }

  private receive(from: Addr, bytes: Uint8Array, channel: Channel): void {
    if (this.closed) return;
    try {
      this.core.receive(from, bytes, channel, this.clock());
    } catch (err) {
      this.coreError(err, 'receive');
    } finally {
      this.rearm();
    }
  }

  private fire(): void {
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
    if (this.closed) return;
    const now = this.clock();
    // The timer may wake early (the 1 s cap, or timer rounding); tick only when the deadline is due.
    if (now >= this.core.nextDeadline()) {
      this.ticks++;
      try {
        this.core.tick(now);
      } catch (err) {
        this.coreError(err, 'tick');
      } finally {
        this.rearm();
      }
      return;
    }
    this.rearm();
  }

  /**
   * Keeps one timer armed for the core's next deadline. It moves when the deadline moves either way:
   * a later deadline (a probe acknowledged, its stale timer dropped by the core) must not wake the
   * process for nothing. A timer armed only for the cap stays while the deadline is still beyond it.
   */
  private rearm(): void {
    if (this.closed) return;
    const now = this.clock();
    const deadline = this.core.nextDeadline();
    const cap = now + this.maxTimerMs;
    const capOnly = Number.isNaN(deadline) || deadline > cap;
    const at = capOnly ? cap : deadline;
    if (this.timer !== null && (this.timerAt === at || (capOnly && this.timerCapOnly && this.timerAt <= at)))
      return;
    this.clearTimer();
    this.timerAt = at;
    this.timerCapOnly = capOnly;
    // Round up so a timer never wakes a fraction of a millisecond before its deadline and spins.
    this.timer = setTimeout(() => this.fire(), Math.max(0, Math.ceil(at - now)));
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private coreError(err: unknown, phase: CorePhase): void {
    if (this.opts.onCoreError === undefined) throw err;
    this.opts.onCoreError(err, phase);
  }
}
