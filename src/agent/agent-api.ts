// What the HTTP API, the metrics and the demo need from a running agent. The Agent class implements
// it; the API layer depends only on this, so it can be tested against a small fake as well.
import type { Via } from './core/types.js';
import type { MemberState } from './wire/messages.js';

export interface MemberView {
  name: string;
  addr: string;
  state: MemberState;
  incarnation: number;
  generation: number;
  tags: Record<string, string>;
  /** Local wall-clock ms of the last state change this agent saw (0: since it started). */
  lastChange: number;
}

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

/** One change as this agent learned it; origin/originTime/hops are null when no rumor carried it. */
export type AgentEvent =
  | {
      kind: 'member';
      /** Local wall-clock ms when this agent learned it. */
      at: number;
      member: MemberView;
      previous: MemberState | null;
      via: Via;
      origin: string | null;
      originTime: number | null;
      hops: number | null;
    }
  | {
      kind: 'user-event';
      at: number;
      name: string;
      /** The payload as UTF-8 text (invalid sequences replaced) and exactly, as base64. */
      payload: string;
      payloadBase64: string;
      via: Via;
      origin: string;
      originTime: number;
      hops: number;
    };

export interface AgentApi {
  self(): SelfView;
  members(): MemberView[];
  /** Every membership change and user event from now on; returns the unsubscribe function. */
  subscribe(listener: (e: AgentEvent) => void): () => void;
  /** Throws RangeError (with a message for the user) when name or payload exceed their limits. */
  fireEvent(name: string, payload: Uint8Array): void;
  kvGet(key: string): Uint8Array | undefined;
  /** Throws RangeError when the key or value exceed their limits. */
  kvPut(key: string, value: Uint8Array): void;
  /** Returns false when the key did not exist. */
  kvDelete(key: string): boolean;
  /** Announces leave, waits (bounded) for it to spread, then stops the agent. */
  leave(): Promise<void>;
  /** Prometheus text exposition of this agent's metrics. */
  metrics(): Promise<{ contentType: string; body: string }>;
}
