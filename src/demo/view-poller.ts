// Asks every live agent for its membership view (GET /v1/members) with a short timeout. Concurrent
// callers share one round, and a round younger than `maxAgeMs` is reused, so any number of open
// pages cost the agents one request each per interval.
import type { MemberView } from '../agent/agent-api.js';
import type { AgentFleet, FleetAgentInfo } from './agent-fleet.js';
import { residentBytes } from './process-memory.js';

export interface ObserverView {
  agent: FleetAgentInfo;
  /** Answered this round. A frozen, killed or exited agent is never asked and counts as unreachable. */
  reachable: boolean;
  error: string | null;
  members: MemberView[] | null;
  /** Resident memory of the agent process (Linux), null when unknown. */
  rssBytes: number | null;
}

export interface ClusterState {
  /** Wall-clock ms when the round started. */
  at: number;
  observers: ObserverView[];
  /** Every member name any observer reported, plus every agent of the demo, sorted. */
  members: string[];
}

export interface ViewPollerOptions {
  timeoutMs?: number;
  maxAgeMs?: number;
}

export class ViewPoller {
  private inFlight: Promise<ClusterState> | null = null;
  private last: ClusterState | null = null;
  private readonly timeoutMs: number;
  private readonly maxAgeMs: number;

  constructor(
    private readonly fleet: AgentFleet,
    opts: ViewPollerOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 800;
    this.maxAgeMs = opts.maxAgeMs ?? 250;
  }

  async state(): Promise<ClusterState> {
    let round: Promise<ClusterState>;
    if (this.inFlight) round = this.inFlight;
    else if (this.last && Date.now() - this.last.at < this.maxAgeMs) round = Promise.resolve(this.last);
    else {
      round = this.poll().finally(() => {
        this.inFlight = null;
      });
      this.inFlight = round;
    }
    return this.withCurrentProcesses(await round);
  }

  /** A shared round may predate a kill or freeze: the process state is always the current one. */
  private withCurrentProcesses(state: ClusterState): ClusterState {
    const observers = state.observers.map((o): ObserverView => {
      const agent = this.fleet.agent(o.agent.name);
      const sameProcess = agent.starts === o.agent.starts && agent.state === 'running';
      return sameProcess
        ? { ...o, agent }
        : { agent, reachable: false, error: agent.state, members: null, rssBytes: o.rssBytes };
    });
    return { ...state, observers };
  }

  private async poll(): Promise<ClusterState> {
    const at = Date.now();
    const observers = await Promise.all(this.fleet.agents().map((a) => this.observe(a)));
    const names = new Set(this.fleet.names());
    for (const o of observers) for (const m of o.members ?? []) names.add(m.name);
    const state: ClusterState = { at, observers, members: [...names].sort() };
    this.last = state;
    return state;
  }

  private async observe(agent: FleetAgentInfo): Promise<ObserverView> {
    const rssBytes = agent.pid !== null ? residentBytes(agent.pid) : null;
    if (agent.state !== 'running' || !agent.httpUrl) {
      return { agent, reachable: false, error: agent.state, members: null, rssBytes };
    }
    try {
      const res = await fetch(`${agent.httpUrl}/v1/members`, { signal: AbortSignal.timeout(this.timeoutMs) });
      if (!res.ok) {
        await res.body?.cancel();
        return { agent, reachable: false, error: `HTTP ${res.status}`, members: null, rssBytes };
      }
      const members = (await res.json()) as MemberView[];
      return { agent, reachable: true, error: null, members, rssBytes };
    } catch (err) {
      const error = err instanceof Error && err.name === 'TimeoutError' ? 'timeout' : 'unreachable';
      return { agent, reachable: false, error, members: null, rssBytes };
    }
  }
}
