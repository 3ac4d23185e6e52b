// Whether a cluster's agents share one membership view, with hysteresis. At 1,000 nodes ordinary churn
// (one refutation, one join) leaves the agents briefly holding different view digests while the rumor
// spreads, so "every polled digest identical" would flap. Instead: the share of reached agents holding
// the majority digest must reach `enter` to become converged, and must stay below `exit` for
// `exitRounds` consecutive rounds to stop being converged. Pure: the caller keeps the state.

export interface ConvergencePolicy {
  /** Share of reached agents on the majority view needed to become converged. */
  enter: number;
  /** Below this share a converged cluster starts counting bad rounds. */
  exit: number;
  /** Consecutive rounds below `exit` before converged turns false. */
  exitRounds: number;
}

export const DEFAULT_CONVERGENCE: ConvergencePolicy = { enter: 0.95, exit: 0.8, exitRounds: 2 };

export interface ConvergenceState {
  converged: boolean;
  /** Consecutive rounds below `exit` while converged. */
  lowRounds: number;
}

export const NOT_CONVERGED: ConvergenceState = { converged: false, lowRounds: 0 };

/** Share of the reached agents holding the majority digest; 0 when none was reached. */
export function agreement(round: { reached: number; majorityCount: number }): number {
  return round.reached > 0 ? round.majorityCount / round.reached : 0;
}

export function nextConvergence(
  state: ConvergenceState,
  share: number,
  policy: ConvergencePolicy = DEFAULT_CONVERGENCE,
): ConvergenceState {
  if (!state.converged) return { converged: share >= policy.enter, lowRounds: 0 };
  if (share >= policy.exit) return { converged: true, lowRounds: 0 };
  const lowRounds = state.lowRounds + 1;
  return lowRounds >= policy.exitRounds ? NOT_CONVERGED : { converged: true, lowRounds };
}
