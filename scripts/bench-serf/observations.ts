// What every agent of a cluster has seen, as the driver observed it: each observer's latest view of
// each member (state and when it changed), user events received, suspicions raised. Both systems'
// adapters feed it, so the scenarios measure Grapevine and Serf the same way.
export type SeenState = 'alive' | 'suspect' | 'dead' | 'left';

export interface Sighting {
  state: SeenState;
  /** Wall-clock ms when the observer reached this state (as close to the agent as we can see). */
  at: number;
  /** When the member last became live (alive or suspect) in this view; a suspicion does not reset it. */
  liveSince: number | null;
}

const isLive = (s: SeenState | undefined) => s === 'alive' || s === 'suspect';

export class Observations {
  private readonly views = new Map<string, Map<string, Sighting>>();
  private readonly events = new Map<string, Map<string, number>>();
  /** Every change to 'dead' as it happened: [observer, member, at]. */
  readonly deaths: Array<{ observer: string; member: string; at: number }> = [];
  /** Agent name → wall-clock ms when it was up (Serf: its own join line; Grapevine: 'agent started'). */
  readonly readyAt = new Map<string, number>();
  /** Grapevine agent name → when it logged 'joined the cluster', and how many members it saw then. */
  readonly joinedAt = new Map<string, { at: number; members: number }>();
  /** Grapevine agent name → CPU-seconds it had used when it logged 'agent started'. */
  readonly cpuAtReadyS = new Map<string, number>();
  suspicionsRaised = 0;
  /** Observer × member changes to suspect (Grapevine shows them; Serf's logs do not). */
  suspectSightings = 0;
  /** Every change to suspect as it happened (Grapevine): [member, at]. */
  private readonly suspicions: Array<{ member: string; at: number }> = [];
  /** What went wrong while following the agents (shown when a wait times out). */
  readonly problems: string[] = [];

  member(observer: string, member: string, state: SeenState, at: number): void {
    let view = this.views.get(observer);
    if (!view) {
      view = new Map();
      this.views.set(observer, view);
    }
    const prev = view.get(member);
    if (prev?.state === state) return;
    const liveSince = !isLive(state) ? null : isLive(prev?.state) ? (prev?.liveSince ?? at) : at;
    view.set(member, { state, at, liveSince });
    if (state === 'dead') this.deaths.push({ observer, member, at });
    if (state === 'suspect') {
      this.suspectSightings++;
      this.suspicions.push({ member, at });
    }
  }

  /**
   * When an observer first saw `member` suspect at or after `since` (undefined: none did, or the
   * system does not say). Suspicions while the cluster formed do not count for a later kill.
   */
  firstSuspectSince(member: string, since: number): number | undefined {
    let first: number | undefined;
    for (const s of this.suspicions)
      if (s.member === member && s.at >= since && (first === undefined || s.at < first)) first = s.at;
    return first;
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

  /**
   * When `observer` came to see every one of `members` live; null if it does not yet. Suspect counts
   * as live: Serf does not surface memberlist's suspicions (its members stay "alive"), so this is
   * the same test for both systems.
   */
  allLiveAt(observer: string, members: readonly string[]): number | null {
    let latest = 0;
    for (const m of members) {
      const since = this.sighting(observer, m)?.liveSince;
      if (since === null || since === undefined) return null;
      latest = Math.max(latest, since);
    }
    return latest;
  }

  /** When each observer first saw user event `name` (observers that did not: absent). */
  eventSeen(name: string): Map<string, number> {
    return this.events.get(name) ?? new Map();
  }

  /** Who among `observers` does not see each of `members` in one of `states` (for error messages). */
  missing(observers: readonly string[], members: readonly string[], states: readonly SeenState[]): string {
    const gaps: string[] = [];
    for (const o of observers) {
      const lacks = members.filter(
        (m) => !states.includes(this.sighting(o, m)?.state ?? ('none' as SeenState)),
      );
      if (lacks.length > 0)
        gaps.push(
          `${o} lacks ${lacks.map((m) => `${m}(${this.sighting(o, m)?.state ?? 'unknown'})`).join(' ')}`,
        );
    }
    const shown = gaps.slice(0, 8).join('; ');
    const all = gaps.length > 8 ? `${shown}; … ${gaps.length - 8} more` : shown;
    return this.problems.length > 0 ? `${all} (problems: ${this.problems.slice(0, 5).join('; ')})` : all;
  }
}

/**
 * Polls `check` every 25 ms until it returns a value other than null, or throws after `ms` with
 * `explain()` appended (what was still missing).
 */
export async function waitFor<T>(
  what: string,
  ms: number,
  check: () => T | null,
  explain: () => string = () => '',
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== null) return v;
    if (Date.now() > end) {
      const why = explain();
      throw new Error(`timed out after ${ms} ms waiting for ${what}${why ? `: ${why}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}
