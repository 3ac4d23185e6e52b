// Per figure and system: min / median / max over runs, and Grapevine/Serf as a ratio of medians.
import { FIGURE_LABELS, type RunFigures, type RunResult, type SystemName } from './types.js';

export interface Spread {
  min: number;
  median: number;
  max: number;
  runs: number;
}

export interface FigureSummary {
  figure: keyof RunFigures;
  n: number;
  grapevine: Spread | null;
  serf: Spread | null;
  /** Grapevine median / Serf median; null when either is missing or Serf's is 0. */
  ratio: number | null;
}

export function spread(values: number[]): Spread | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { min: s[0]!, median, max: s[s.length - 1]!, runs: s.length };
}

export function summarize(results: RunResult[]): FigureSummary[] {
  const sizes = [...new Set(results.map((r) => r.n))].sort((a, b) => a - b);
  const out: FigureSummary[] = [];
  for (const n of sizes) {
    for (const figure of Object.keys(FIGURE_LABELS) as Array<keyof RunFigures>) {
      const of = (system: SystemName) =>
        spread(
          results
            .filter((r) => r.n === n && r.system === system)
            .map((r) => r.figures?.[figure])
            .filter((v): v is number => typeof v === 'number' && Number.isFinite(v)),
        );
      const grapevine = of('grapevine');
      const serf = of('serf');
      const ratio = grapevine && serf && serf.median > 0 ? grapevine.median / serf.median : null;
      out.push({ figure, n, grapevine, serf, ratio });
    }
  }
  return out;
}
