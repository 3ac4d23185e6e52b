// The trade-off curve's summary: per system and tuning, kill -9 detection (every survivor, median
// over runs) against false dead declarations and suspicions under loss + freezes (summed over runs),
// and its printed table. Grapevine's tunings are the grid of --suspicion-mults × --probe-timeouts-ms.
import { spread } from './summary.js';
import type { RunResult, SerfProfile, SystemName, Tuning } from './types.js';

export interface TradeOffRow {
  system: SystemName;
  tuning: Tuning;
  runs: number;
  failedRuns: number;
  /** kill -9 → every survivor marks dead, median over runs (s); null when no run got that far. */
  detectionLastS: number | null;
  detectionLastMinS: number | null;
  detectionLastMaxS: number | null;
  falseDeadDeclarations: number;
  membersFalselyDeclaredDead: number;
  suspicionsRaised: number;
  minutesUnderFaults: number;
}

export function grapevineTunings(mults: number[], timeoutsMs: number[]): Tuning[] {
  return mults.flatMap((suspicionMult) =>
    timeoutsMs.map((probeTimeoutMs) => ({
      label: `mult ${suspicionMult}, timeout ${probeTimeoutMs} ms`,
      suspicionMult,
      probeTimeoutMs,
    })),
  );
}

export function serfTunings(profiles: SerfProfile[]): Tuning[] {
  return profiles.map((serfProfile) => ({ label: `profile ${serfProfile}`, serfProfile }));
}

export function summarizeTradeOff(results: RunResult[]): TradeOffRow[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of results) {
    const key = `${r.system}\u0000${r.n}\u0000${r.tuning?.label ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((rs) => {
    const ok = rs.flatMap((r) => (r.tradeOff ? [r.tradeOff] : []));
    const d = spread(ok.map((p) => p.detection.lastS));
    const sum = (f: (p: (typeof ok)[number]) => number) => ok.reduce((a, p) => a + f(p), 0);
    return {
      system: rs[0]!.system,
      tuning: rs[0]!.tuning ?? { label: '' },
      runs: rs.length,
      failedRuns: rs.length - ok.length,
      detectionLastS: d?.median ?? null,
      detectionLastMinS: d?.min ?? null,
      detectionLastMaxS: d?.max ?? null,
      falseDeadDeclarations: sum((p) => p.falsePositives.falseDeadDeclarations),
      membersFalselyDeclaredDead: sum((p) => p.falsePositives.membersFalselyDeclaredDead),
      suspicionsRaised: sum((p) => p.falsePositives.suspicionsRaised),
      minutesUnderFaults: sum((p) => p.falsePositives.minutes),
    };
  });
}

export function tradeOffTable(rows: TradeOffRow[]): string {
  const s = (v: number | null) => (v === null ? 'n/a' : v.toFixed(2));
  const lines = [
    '| system | setting | runs (failed) | kill -9 → every survivor dead, min / median / max (s) | false dead declarations | members falsely declared dead | suspicions | minutes under faults |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.system} | ${r.tuning.label} | ${r.runs} (${r.failedRuns}) | ${s(r.detectionLastMinS)} / ${s(r.detectionLastS)} / ${s(r.detectionLastMaxS)} | ${r.falseDeadDeclarations} | ${r.membersFalselyDeclaredDead} | ${r.suspicionsRaised} | ${Number(r.minutesUnderFaults.toFixed(2))} |`,
    );
  return lines.join('\n');
}
