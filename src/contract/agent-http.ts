// The HTTP contract between an agent and its clients (the operator's status collector, the CLI, the
// demo): the JSON shapes of GET /v1/self and GET /v1/members. Both sides import this leaf module, so the
// operator never reaches into agent internals and a change to a shape is a change to both sides at once.

/** The agent routes the operator reads. */
export const AGENT_PATHS = { self: '/v1/self', members: '/v1/members' } as const;

/** A member's state as the HTTP API spells it. */
export type MemberStateName = 'alive' | 'suspect' | 'dead' | 'left';
export const MEMBER_STATE_NAMES: readonly MemberStateName[] = ['alive', 'suspect', 'dead', 'left'];

/** One entry of GET /v1/members. */
export interface MemberView {
  name: string;
  addr: string;
  state: MemberStateName;
  incarnation: number;
  generation: number;
  tags: Record<string, string>;
  /** Local wall-clock ms of the last state change this agent saw (0: since it started). */
  lastChange: number;
}

/** GET /v1/self. */
export interface SelfView extends MemberView {
  cluster: string;
  /** Joined and holding a view of at least one peer (or told to run alone). */
  ready: boolean;
  healthScore: number;
  /** Equal on two agents ⇔ (almost surely) the same membership view. */
  viewDigest: string;
  /** Config changes seen in the file that need a restart to take effect (empty when none). */
  restartRequired: string[];
  leaving: boolean;
}
