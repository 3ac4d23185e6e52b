// The GossipCluster status as a PURE function of what one reconcile observed: the spec check, whether
// the child objects were applied, the DaemonSet's status and the status collector's last round (read
// from its cache; a reconcile never asks agents itself). Conditions follow the kubebuilder
// conventions: Ready / Converged / Progressing / Degraded, CamelCase reasons, and a
// lastTransitionTime that moves only when the condition's status does, so equal inputs give an equal
// status (and the controller can skip the write: see status-equal.ts).
import type { Condition, GossipClusterStatus } from '../api/gossipcluster-schema.js';
import type { CollectedStatus } from './status-collector.js';

export { statusEqual } from './status-equal.js';

/** Fields of a DaemonSet (metadata.generation and status) that the status is derived from. */
export interface DaemonSetState {
  desiredNumberScheduled: number;
  numberReady: number;
  updatedNumberScheduled?: number;
  /** status.observedGeneration: the generation the DaemonSet controller has acted on. */
  observedGeneration?: number;
  /** metadata.generation. */
  generation?: number;
}

export interface StatusInput {
  /** metadata.generation of the GossipCluster. */
  generation: number;
  /** Why the spec cannot be turned into agent objects; null (or empty) when it is valid. */
  specProblems: string[] | null;
  /** The ConfigMap/DaemonSet/... were applied for this generation. */
  applied: boolean;
  /** One line on why applying failed (used when applied is false). */
  applyError?: string;
  /** The condition reason for applyError (default ApplyFailed), e.g. ObjectNotOwned. */
  applyReason?: string;
  /**
   * Absent until the DaemonSet exists and the informer has seen it. Passed even when applying failed:
   * the agents of the previous generation keep running, and Ready describes them.
   */
  daemonSet?: DaemonSetState;
  /**
   * The status collector's latest round; when absent (operator just started), the previous status's
   * agent fields and agent-derived verdicts are kept as they were, so a restart rewrites nothing.
   */
  collected?: CollectedStatus;
  previous?: GossipClusterStatus;
  now: Date;
}

export const CONDITION_TYPES = ['Ready', 'Converged', 'Progressing', 'Degraded'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

/** Condition messages are kept well under metav1.Condition's 32 KiB limit. */
const MAX_MESSAGE = 1024;

type Verdict = Pick<Condition, 'status' | 'reason' | 'message'>;

export function computeStatus(input: StatusInput): GossipClusterStatus {
  const { previous, now } = input;
  const problems = input.specProblems?.length ? input.specProblems : null;
  const ds = input.daemonSet;

  const agents = agentFields(input);
  const verdicts: Record<ConditionType, Verdict> = {
    Ready: ready(problems, ds, input.collected, previous),
    Converged: converged(input.collected, previous),
    Progressing: progressing(problems, input, ds),
    Degraded: degraded(problems, input),
  };

  const status: GossipClusterStatus = {
    observedGeneration: input.generation,
    conditions: CONDITION_TYPES.map((type) => {
      const v = verdicts[type];
      const before = previous?.conditions?.find((c) => c.type === type);
      return {
        type,
        status: v.status,
        reason: v.reason,
        message: clip(v.message),
        lastTransitionTime:
          before && before.status === v.status && before.lastTransitionTime
            ? before.lastTransitionTime
            : now.toISOString(),
        observedGeneration: input.generation,
      };
    }),
  };
  if (ds) {
    status.desiredAgents = ds.desiredNumberScheduled;
    status.readyAgents = ds.numberReady;
  }
  if (agents.members) status.members = { ...agents.members };
  if (agents.agentsReached !== undefined) status.agentsReached = agents.agentsReached;
  if (agents.converged !== undefined) status.converged = agents.converged;
  if (agents.lastConvergenceTime !== undefined) status.lastConvergenceTime = agents.lastConvergenceTime;
  return status;
}

type AgentFields = Pick<
  GossipClusterStatus,
  'members' | 'agentsReached' | 'converged' | 'lastConvergenceTime'
>;

/** From the collector when it has a round, else carried over unchanged from the previous status. */
function agentFields({ collected, previous, now }: StatusInput): AgentFields {
  if (!collected) {
    return {
      members: previous?.members,
      agentsReached: previous?.agentsReached,
      converged: previous?.converged,
      lastConvergenceTime: previous?.lastConvergenceTime,
    };
  }
  // The time it last BECAME converged: kept while it stays converged, and kept (as history) after.
  const lastConvergenceTime =
    collected.converged && !(previous?.converged === true && previous.lastConvergenceTime)
      ? now.toISOString()
      : previous?.lastConvergenceTime;
  return {
    members: collected.round.members,
    agentsReached: collected.round.reached,
    converged: collected.converged,
    lastConvergenceTime,
  };
}

/** Reasons of verdicts that come from a status round (carried over while no new round is known). */
const FROM_ROUND = new Set([
  'AgentsJoined',
  'AgentsNotJoined',
  'AgentsUnreachable',
  'Converged',
  'NotConverged',
]);

function carried(previous: GossipClusterStatus | undefined, type: ConditionType): Verdict | undefined {
  const c = previous?.conditions?.find((x) => x.type === type);
  return c && FROM_ROUND.has(c.reason)
    ? { status: c.status, reason: c.reason, message: c.message }
    : undefined;
}

/** "12 agents" or "64 sampled agents (of 1000)". */
function scope(round: CollectedStatus['round']): string {
  return round.sampled ? `${round.polled} sampled agents (of ${round.total})` : `${round.polled} agents`;
}

/** Ready: the agents are running (DaemonSet) and have joined (they say so on /v1/self). */
function ready(
  problems: string[] | null,
  ds: DaemonSetState | undefined,
  collected: CollectedStatus | undefined,
  previous: GossipClusterStatus | undefined,
): Verdict {
  if (problems)
    return { status: 'False', reason: 'InvalidSpec', message: `spec is invalid: ${problems.join('; ')}` };
  if (!ds)
    return { status: 'False', reason: 'NoAgents', message: 'the DaemonSet has not reported a status yet' };
  const desired = ds.desiredNumberScheduled;
  if (desired <= 0)
    return {
      status: 'False',
      reason: 'NoAgents',
      message: 'no node runs an agent (0 desired; check nodeSelector, affinity and tolerations)',
    };
  const agentsReady = `${ds.numberReady}/${desired} agents ready`;
  if (ds.numberReady < desired) return { status: 'False', reason: 'AgentsNotReady', message: agentsReady };
  if (!collected)
    return (
      carried(previous, 'Ready') ?? {
        status: 'Unknown',
        reason: 'NotPolled',
        message: `${agentsReady}; not asked yet whether they joined`,
      }
    );
  const round = collected.round;
  const unanswered = round.polled - round.reached;
  const note = unanswered > 0 ? `; ${unanswered} of ${round.polled} polled did not answer` : '';
  if (round.reached === 0)
    return {
      status: 'Unknown',
      reason: 'AgentsUnreachable',
      message: `${agentsReady}; none of the ${scope(round)} polled answered on their HTTP API`,
    };
  if (round.joined < round.reached)
    return {
      status: 'False',
      reason: 'AgentsNotJoined',
      message: `${agentsReady}; ${round.reached - round.joined} of ${round.reached} reached have not joined${note}`,
    };
  return {
    status: 'True',
    reason: 'AgentsJoined',
    message: `${agentsReady}; all ${round.reached} reached of ${scope(round)} have joined${note}`,
  };
}

/** Converged: the share of agents on the majority view, with hysteresis (convergence.ts). */
function converged(
  collected: CollectedStatus | undefined,
  previous: GossipClusterStatus | undefined,
): Verdict {
  if (!collected)
    return (
      carried(previous, 'Converged') ?? {
        status: 'Unknown',
        reason: 'NotPolled',
        message: 'no status round yet',
      }
    );
  const round = collected.round;
  if (round.reached === 0)
    return {
      status: 'Unknown',
      reason: 'AgentsUnreachable',
      message: `none of the ${scope(round)} polled answered on their HTTP API`,
    };
  const pct = Math.floor(collected.agreement * 100);
  const alive = round.members ? `; the majority view has ${round.members.alive} alive members` : '';
  const views = `${pct} % of ${round.reached} reached (${scope(round)}) share one membership view (${round.distinctDigests} distinct)${alive}`;
  return collected.converged
    ? { status: 'True', reason: 'Converged', message: views }
    : { status: 'False', reason: 'NotConverged', message: views };
}

function progressing(problems: string[] | null, input: StatusInput, ds: DaemonSetState | undefined): Verdict {
  if (problems)
    return { status: 'False', reason: 'InvalidSpec', message: 'spec is invalid; nothing to roll out' };
  if (!input.applied)
    return {
      status: 'False',
      reason: 'ApplyFailed',
      message: `cannot roll out: ${input.applyError ?? 'the agent objects could not be applied'}`,
    };
  if (!ds) return { status: 'True', reason: 'DaemonSetPending', message: 'waiting for the DaemonSet status' };
  if (ds.generation !== undefined && (ds.observedGeneration ?? 0) < ds.generation)
    return {
      status: 'True',
      reason: 'RollingOut',
      message: `the DaemonSet controller has not acted on generation ${ds.generation} yet`,
    };
  const desired = ds.desiredNumberScheduled;
  const updated = ds.updatedNumberScheduled ?? 0;
  if (updated < desired)
    return {
      status: 'True',
      reason: 'RollingOut',
      message: `${updated}/${desired} agents run the current template`,
    };
  return {
    status: 'False',
    reason: 'RolloutComplete',
    message: desired > 0 ? `all ${desired} agents run the current template` : 'no agent to roll out',
  };
}

function degraded(problems: string[] | null, input: StatusInput): Verdict {
  if (problems)
    return { status: 'True', reason: 'InvalidSpec', message: `spec is invalid: ${problems.join('; ')}` };
  if (!input.applied)
    return {
      status: 'True',
      reason: input.applyReason ?? 'ApplyFailed',
      message: input.applyError ?? 'the agent objects could not be applied',
    };
  return { status: 'False', reason: 'AsExpected', message: 'spec is valid and applied' };
}

function clip(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE - 1)}…`;
}
