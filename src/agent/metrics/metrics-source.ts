// What the metrics read from a running node at scrape time, and the events they observe.
import type { CoreStats } from '../core/types.js';
import type { MemberState } from '../wire/messages.js';

export interface MetricsSource {
  stats(): CoreStats;
  counts(): Readonly<Record<MemberState, number>>;
  healthScore(): number;
  viewDigest(): string;
  pendingRumors(): number;
  pendingMail(): number;
}
