// Follows every live agent's /v1/events stream and re-emits what each one learns, tagged with the
// observer, so the page can watch a rumor infect the cluster. One upstream connection per agent
// process; reconnects while the process lives, drops it when the process dies.
import type { AgentEvent } from '../agent/agent-api.js';
import type { MemberState } from '../agent/wire/messages.js';
import type { AgentFleet, FleetAgentInfo } from './agent-fleet.js';
import { readSse } from './sse-reader.js';

export type RelayedEvent =
  | {
      type: 'user-event';
      observer: string;
      name: string;
      origin: string;
      originTime: number;
      /** Observer's wall clock when it learned the event (all agents share this machine's clock). */
      at: number;
      hops: number;
      via: string;
    }
  | {
      type: 'member';
      observer: string;
      member: string;
      addr: string;
      state: MemberState;
      previous: MemberState | null;
      at: number;
      via: string;
      hops: number | null;
    };

interface Upstream {
  /** The process start this connection belongs to (a restart needs a new connection). */
  starts: number;
  ctrl: AbortController;
}

const RECONNECT_MS = 500;

export class EventRelay {
  private readonly upstreams = new Map<string, Upstream>();
  private readonly listeners = new Set<(e: RelayedEvent) => void>();
  private readonly unsubscribeFleet: () => void;
  private stopped = false;

  constructor(fleet: AgentFleet) {
    this.unsubscribeFleet = fleet.onChange((a) => this.sync(a));
    for (const a of fleet.agents()) this.sync(a);
  }

  subscribe(listener: (e: RelayedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Names of agents whose stream is currently being followed. */
  following(): string[] {
    return [...this.upstreams.keys()].sort();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribeFleet();
    for (const u of this.upstreams.values()) u.ctrl.abort();
    this.upstreams.clear();
  }

  private sync(a: FleetAgentInfo): void {
    if (this.stopped) return;
    const current = this.upstreams.get(a.name);
    const live = a.state === 'running' || a.state === 'frozen';
    if (current && (!live || current.starts !== a.starts)) {
      current.ctrl.abort();
      this.upstreams.delete(a.name);
    }
    // A frozen agent keeps its connection: what it learns after SIGCONT still arrives.
    if (a.state === 'running' && a.httpUrl && !this.upstreams.has(a.name)) {
      const up: Upstream = { starts: a.starts, ctrl: new AbortController() };
      this.upstreams.set(a.name, up);
      void this.follow(a.name, `${a.httpUrl}/v1/events`, up);
    }
  }

  private async follow(observer: string, url: string, up: Upstream): Promise<void> {
    while (!up.ctrl.signal.aborted) {
      try {
        await readSse(url, (m) => this.relay(observer, m.data), up.ctrl.signal);
      } catch {
        // Connection refused or dropped: the process may be dying; retry while it is still ours.
      }
      if (up.ctrl.signal.aborted) return;
      await new Promise((r) => setTimeout(r, RECONNECT_MS));
    }
  }

  private relay(observer: string, data: string): void {
    let e: AgentEvent;
    try {
      e = JSON.parse(data) as AgentEvent;
    } catch {
      return;
    }
    const out = toRelayed(observer, e);
    if (out) for (const l of this.listeners) l(out);
  }
}

export function toRelayed(observer: string, e: AgentEvent): RelayedEvent | null {
  if (e.kind === 'user-event') {
    return {
      type: 'user-event',
      observer,
      name: e.name,
      origin: e.origin,
      originTime: e.originTime,
      at: e.at,
      hops: e.hops,
      via: e.via,
    };
  }
  if (e.kind === 'member') {
    return {
      type: 'member',
      observer,
      member: e.member.name,
      addr: e.member.addr,
      state: e.member.state,
      previous: e.previous,
      at: e.at,
      via: e.via,
      hops: e.hops,
    };
  }
  return null;
}
