// Lifeguard's dynamic suspicion: the timeout starts at max and shrinks towards min, logarithmically,
// as independent peers confirm the suspicion. Few confirmations → more time for the suspect to refute.

export interface SuspicionTimeouts {
  minMs: number;
  maxMs: number;
  /** Confirmations after which the timeout reaches min. */
  expected: number;
}

/**
 * memberlist's formula: min = mult × log10(max(1, n)) × interval; max = maxMult × min. `members`
 * counts live members including this node. `confirmations` is Lifeguard's K, the independent
 * confirmations after which the timeout reaches min; memberlist ties it to the multiplier (mult − 2),
 * here it is its own setting so that a short minimum does not switch dynamic suspicion off.
 * Confirmations can only come from members other than this node and the suspect: with fewer of those
 * than K, none are expected, so small clusters do not wait near max for confirmations that cannot
 * come (memberlist).
 */
export function suspicionTimeouts(
  members: number,
  probeIntervalMs: number,
  suspicionMult: number,
  maxTimeoutMult: number,
  confirmations: number,
): SuspicionTimeouts {
  const scale = Math.max(1, Math.log10(Math.max(1, members)));
  const minMs = suspicionMult * scale * probeIntervalMs;
  const k = Math.max(0, confirmations);
  return { minMs, maxMs: maxTimeoutMult * minMs, expected: members - 2 < k ? 0 : k };
}

export function suspicionTimeoutMs(t: SuspicionTimeouts, confirmations: number): number {
  if (t.expected < 1) return t.minMs;
  const frac = Math.log(confirmations + 1) / Math.log(t.expected + 1);
  const ms = t.maxMs - frac * (t.maxMs - t.minMs);
  return Math.max(t.minMs, Math.floor(ms));
}

/** One open suspicion: who confirmed it and when it turns into a death. */
export class Suspicion {
  private readonly confirmers = new Set<string>();
  /** The latest the suspicion may expire, once the suspect's host refused a probe (cap). */
  private capAt = Number.POSITIVE_INFINITY;
  deadline: number;

  constructor(
    readonly incarnation: number,
    readonly generation: number,
    private readonly startedAt: number,
    private readonly timeouts: SuspicionTimeouts,
    firstSuspector: string,
  ) {
    this.confirmers.add(firstSuspector);
    this.deadline = startedAt + suspicionTimeoutMs(timeouts, 0);
  }

  get confirmations(): number {
    return this.confirmers.size - 1;
  }

  /** Returns true when this is a new independent confirmation (and so worth re-gossiping). */
  confirm(from: string): boolean {
    if (this.confirmers.has(from)) return false;
    this.confirmers.add(from);
    this.deadline = Math.min(
      this.capAt,
      this.startedAt + suspicionTimeoutMs(this.timeouts, this.confirmations),
    );
    return true;
  }

  /** Expire at `at` at the latest, whatever confirmations come later; true when it moved the deadline. */
  cap(at: number): boolean {
    this.capAt = Math.min(this.capAt, at);
    if (this.capAt >= this.deadline) return false;
    this.deadline = this.capAt;
    return true;
  }
}
