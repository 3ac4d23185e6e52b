// What the demo has seen since it started, so that a page opened late can replay it: the view
// agreement sampled once a second (how the cluster formed, and every dip since), and the events the
// page stream sent (process changes, what each agent learned, fired events). Both are bounded.
import type { ClusterState } from './view-poller.js';

export interface ConvergenceSample {
  /** Wall-clock ms of the poll round. */
  t: number;
  /** Share of reachable observers holding the most common view (name → state); 0 with none. */
  agreement: number;
  /** Number of different views among reachable observers. */
  distinct: number;
  reachable: number;
}

export interface HistorySnapshot<E> {
  startedAt: number;
  samples: ConvergenceSample[];
  events: E[];
}

/** The page's convergence figure for one poll round (the page computes the same from its polls). */
export function convergenceSample(state: ClusterState): ConvergenceSample {
  const groups = new Map<string, number>();
  let reachable = 0;
  for (const o of state.observers) {
    if (!o.reachable || o.agent.state !== 'running' || o.members === null) continue;
    reachable++;
    const sig = o.members
      .map((m) => `${m.name}=${m.state}`)
      .sort()
      .join(',');
    groups.set(sig, (groups.get(sig) ?? 0) + 1);
  }
  const largest = Math.max(0, ...groups.values());
  return { t: state.at, agreement: reachable ? largest / reachable : 0, distinct: groups.size, reachable };
}

export class PageHistory<E> {
  private readonly samples: ConvergenceSample[] = [];
  private readonly events: E[] = [];

  constructor(
    readonly startedAt: number,
    private readonly maxSamples = 900,
    private readonly maxEvents = 3_000,
  ) {}

  sample(state: ClusterState): void {
    this.samples.push(convergenceSample(state));
    if (this.samples.length > this.maxSamples) this.samples.shift();
  }

  record(e: E): void {
    this.events.push(e);
    if (this.events.length > this.maxEvents) this.events.shift();
  }

  snapshot(): HistorySnapshot<E> {
    return { startedAt: this.startedAt, samples: [...this.samples], events: [...this.events] };
  }
}
