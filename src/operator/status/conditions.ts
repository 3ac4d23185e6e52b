// The GossipCluster status as a PURE function of what one reconcile observed: the spec check, whether
// the child objects were applied, the DaemonSet's status and the last agent poll. Conditions follow
// the kubebuilder conventions: Ready / Progressing / Degraded, CamelCase reasons, and a
// lastTransitionTime that moves only when the condition's status does, so equal inputs give an equal
// status (and the controller can skip the write: see status-equal.ts).
import type { Condition, GossipClusterStatus } from '../api/gossipcluster-schema.js';
import type { AgentPollResult } from './agent-poller.js';

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

export type PollSummary = Pick<
  AgentPollResult,
  'total' | 'polled' | 'reached' | 'sampled' | 'distinctDigests' | 'members' | 'converged'
>;

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
  /** Absent until the DaemonSet exists and the informer has seen it. */
  daemonSet?: DaemonSetState;
  /** The latest status round; when absent, the previous status's agent fields are kept as they were. */
  poll?: PollSummary;
  previous?: GossipClusterStatus;
  now: Date;
}

export const CONDITION_TYPES = ['Ready', 'Progressing', 'Degraded'] as const;
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
    Ready: ready(problems, ds, agents, input.poll),
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

/** From the poll when there is one, else carried over unchanged from the previous status. */
function agentFields({ poll, previous, now }: StatusInput): AgentFields {
  if (!poll) {
    return {
      members: previous?.members,
      agentsReached: previous?.agentsReached,
      converged: previous?.converged,
      lastConvergenceTime: previous?.lastConvergenceTime,
    };
  }
  // The time it last BECAME converged: kept while it stays converged, and kept (as history) after.
  const lastConvergenceTime =
    poll.converged && !(previous?.converged === true && previous.lastConvergenceTime)
      ? now.toISOString()
      : previous?.lastConvergenceTime;
  return {
    members: poll.members,
    agentsReached: poll.reached,
    converged: poll.converged,
    lastConvergenceTime,
  };
}

function ready(
  problems: string[] | null,
  ds: DaemonSetState | undefined,
  agents: AgentFields,
  poll: PollSummary | undefined,
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
  if (agents.converged === undefined)
    return {
      status: 'Unknown',
      reason: 'NotPolled',
      message: `${agentsReady}; membership views not checked yet`,
    };
  if (!poll) {
    // After an operator restart, before its first round: what the stored status said.
    return agents.converged
      ? {
          status: 'True',
          reason: 'Converged',
          message: `${agentsReady}; agents agreed at the last status round`,
        }
      : {
          status: 'False',
          reason: 'NotConverged',
          message: `${agentsReady}; agents disagreed at the last status round`,
        };
  }
  if (poll.reached === 0)
    return {
      status: 'Unknown',
      reason: 'AgentsUnreachable',
      message: `${agentsReady}; none of the ${poll.polled} polled agents answered on their HTTP API`,
    };
  const scope = poll.sampled ? `sampled agents (${poll.polled} of ${poll.total})` : 'agents';
  const unanswered = poll.polled - poll.reached;
  const reachedNote = unanswered > 0 ? `; ${unanswered} of ${poll.polled} polled did not answer` : '';
  if (!poll.converged)
    return {
      status: 'False',
      reason: 'NotConverged',
      message: `${agentsReady}; ${poll.distinctDigests} distinct membership views among ${poll.reached} ${scope} reached${reachedNote}`,
    };
  return {
    status: 'True',
    reason: 'Converged',
    message: `${agentsReady}; all ${poll.reached} ${scope} reached report the same membership view${reachedNote}`,
  };
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
