// What every agent of a cluster has seen, as the driver observed it: each observer's latest view of
// each member (state and when it changed), user events received, suspicions raised. Both systems'
// adapters feed it, so the scenarios measure Grapevine and Serf the same way.
export type SeenState = 'alive' | 'suspect' | 'dead' | 'left';

export interface Sighting {
  state: SeenState;
  /** Wall-clock ms when the observer reached this state (as close to the agent as we can see). */
  at: number;
}

export class Observations {
  private readonly views = new Map<string, Map<string, Sighting>>();
  private readonly events = new Map<string, Map<string, number>>();
  /** Every change to 'dead' as it happened: [observer, member, at]. */
  readonly deaths: Array<{ observer: string; member: string; at: number }> = [];
  /** Agent name → wall-clock ms when it was up (Serf: its own join line; Grapevine: 'agent started'). */
  readonly readyAt = new Map<string, number>();
  suspicionsRaised = 0;

  member(observer: string, member: string, state: SeenState, at: number): void {
    let view = this.views.get(observer);
    if (!view) {
      view = new Map();
      this.views.set(observer, view);
    }
    const prev = view.get(member);
    if (prev?.state === state) return;
    view.set(member, { state, at });
    if (state === 'dead') this.deaths.push({ observer, member, at });
  }

  userEvent(observer: string, name: string, at: number): void {
    let seen = this.events.get(name);
    if (!seen) {
      seen = new Map();
      this.events.set(name, seen);
    }
    if (!seen.has(observer)) seen.set(observer, at);
  }

  sighting(observer: string, member: string): Sighting | undefined {
    return this.views.get(observer)?.get(member);
  }

  /** When `observer` last came to see every one of `members` alive; null if it does not yet. */
  allAliveAt(observer: string, members: readonly string[]): number | null {
    let latest = 0;
    for (const m of members) {
      const s = this.sighting(observer, m);
      if (s?.state !== 'alive') return null;
      latest = Math.max(latest, s.at);
    }
    return latest;
  }

  /** When each observer first saw user event `name` (observers that did not: absent). */
  eventSeen(name: string): Map<string, number> {
    return this.events.get(name) ?? new Map();
  }
}

/** Polls `check` every 25 ms until it returns a value other than null, or throws after `ms`. */
export async function waitFor<T>(what: string, ms: number, check: () => T | null): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
