// The benchmark's printed tables: figures (min / median / max per system and the ratio of medians),
// and false-positive counts.
import type { FigureSummary, Spread } from './summary.js';
import { FIGURE_LABELS, type RunResult } from './types.js';

function num(v: number, unit: string): string {
  if (unit === 'B/s') return v.toFixed(0);
  if (unit === 's') return v < 1 ? v.toFixed(3) : v.toFixed(2);
  return v.toFixed(2);
}

function cell(s: Spread | null, unit: string): string {
  return s ? `${num(s.min, unit)} / ${num(s.median, unit)} / ${num(s.max, unit)}` : 'n/a';
}

/** A Markdown table (it reads fine in a terminal and pastes into docs/benchmarks.md). */
export function figuresTable(rows: FigureSummary[]): string {
  const lines = [
    '| N | figure | Serf min / median / max | Grapevine min / median / max | Grapevine / Serf |',
    '|---:|---|---:|---:|---:|',
  ];
  for (const r of rows) {
    const { label, unit } = FIGURE_LABELS[r.figure];
    const ratio = r.ratio === null ? 'n/a' : `${r.ratio.toFixed(2)}×`;
    lines.push(
      `| ${r.n} | ${label} (${unit}) | ${cell(r.serf, unit)} | ${cell(r.grapevine, unit)} | ${ratio} |`,
    );
  }
  return lines.join('\n');
}

export function falsePositivesTable(results: RunResult[]): string {
  const lines = [
    '| system | N | minutes | UDP loss | freezes | false dead declarations (observer × member) | members falsely declared dead | suspicions raised |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    const f = r.falsePositives;
    if (!f) {
      lines.push(`| ${r.system} | ${r.n} | | | | error: ${r.error ?? 'no result'} | | |`);
      continue;
    }
    lines.push(
      `| ${r.system} | ${r.n} | ${f.minutes} | ${f.udpLossPercent} % | ${f.freezes} | ${f.falseDeadDeclarations} | ${f.membersFalselyDeclaredDead} | ${f.suspicionsRaised} |`,
    );
  }
  return lines.join('\n');
}
