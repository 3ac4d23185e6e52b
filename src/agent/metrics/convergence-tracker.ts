// Measures how long bursts of membership changes take to settle on this agent, from the changes
// alone: pure (no clock, no timers), fed with events, the view digest and the time by its owner.
//
// A burst opens with a membership change. It starts at the rumor originTime of its changes (the
// earliest of its first rumor-carried change and the local time of its first change, since a
// change that reached us by anti-entropy or a probe has no origin stamp). Every further change, and
// every change of the view digest, extends it. It ends once neither has happened for `quietMs`;
// its duration is then (local time of its last change − start), never below zero. An origin stamp in
// our future (the origin's clock is ahead) says nothing about when the change began, so it is not
// used: such a burst starts at the local time of its first change.
import type { CoreEvent } from '../core/types.js';

export type MembershipChange = Extract<CoreEvent, { type: 'member' }>;

export interface ConvergenceTrackerOptions {
  /** How long the view must stay unchanged for a burst to count as settled (default 2 s). */
  quietMs?: number;
}

interface Burst {
  startMs: number;
  /** Whether startMs already accounts for a rumor's origin stamp. */
  fromRumor: boolean;
  lastChangeMs: number;
  /** Last time the burst saw a change or a new digest. */
  activeMs: number;
  digest: string;
}

export const DEFAULT_QUIET_MS = 2_000;

export class ConvergenceTracker {
  readonly quietMs: number;
  private burst: Burst | null = null;

  constructor(opts: ConvergenceTrackerOptions = {}) {
    const quietMs = opts.quietMs ?? DEFAULT_QUIET_MS;
    if (!Number.isFinite(quietMs) || quietMs < 0) {
      throw new RangeError(`convergence quietMs must be a finite number ≥ 0, got ${quietMs}`);
    }
    this.quietMs = quietMs;
  }

  /** Whether a burst is open (changes seen, not yet quiet). */
  get open(): boolean {
    return this.burst !== null;
  }

  /**
   * A membership change seen at `nowMs`, with the view digest just after it. Returns the duration
   * (ms) of a previous burst that had already gone quiet before this change, or null.
   */
  change(e: MembershipChange, digest: string, nowMs: number): number | null {
    const b = this.burst;
    // Quiet is judged by time only here: the new digest belongs to the new change.
    const ended = b !== null && nowMs - b.activeMs >= this.quietMs ? this.close() : null;
    const stamped = e.rumor?.originTime ?? null;
    const origin = stamped !== null && stamped <= nowMs ? stamped : null;
    const cur = this.burst;
    if (cur === null) {
      this.burst = {
        startMs: origin ?? nowMs,
        fromRumor: origin !== null,
        lastChangeMs: nowMs,
        activeMs: nowMs,
        digest,
      };
    } else {
      if (!cur.fromRumor && origin !== null) {
        cur.startMs = Math.min(cur.startMs, origin);
        cur.fromRumor = true;
      }
      cur.lastChangeMs = Math.max(cur.lastChangeMs, nowMs);
      cur.activeMs = Math.max(cur.activeMs, nowMs);
      cur.digest = digest;
    }
    return ended;
  }

  /**
   * Looks at the view digest at `nowMs`: a new digest keeps the burst open, an unchanged one for
   * `quietMs` ends it. Returns the ended burst's duration (ms), or null.
   */
  poll(digest: string, nowMs: number): number | null {
    const b = this.burst;
    if (b === null) return null;
    if (digest !== b.digest) {
      b.digest = digest;
      b.activeMs = Math.max(b.activeMs, nowMs);
      return null;
    }
    return nowMs - b.activeMs >= this.quietMs ? this.close() : null;
  }

  private close(): number {
    const b = this.burst!;
    this.burst = null;
    return Math.max(0, b.lastChangeMs - b.startMs);
  }
}
