// A MetricsSource whose answers the test sets directly.
import { type CoreStats, emptyStats } from '../../src/agent/core/types.js';
import type { MetricsSource } from '../../src/agent/metrics/metrics-source.js';
import type { MemberState } from '../../src/agent/wire/messages.js';

export class FakeSource implements MetricsSource {
  current: CoreStats = emptyStats();
  memberCounts: Record<MemberState, number> = { alive: 1, suspect: 0, dead: 0, left: 0 };
  health = 0;
  digest = '0:0';
  rumors = 0;
  mail = 0;

  stats(): CoreStats {
    return this.current;
  }
  counts(): Readonly<Record<MemberState, number>> {
    return this.memberCounts;
  }
  healthScore(): number {
    return this.health;
  }
  viewDigest(): string {
    return this.digest;
  }
  pendingRumors(): number {
    return this.rumors;
  }
  pendingMail(): number {
    return this.mail;
  }
}
