// Plots drawn from the benchmark's JSON with Vega-Lite (compiled to Vega, rendered to SVG headless;
// no browser, no canvas). One chart of every figure (median bar, min–max whisker, per N and system),
// and one of the false-positive counts.
import { toSvg } from '../vega-svg.js';
import type { FigureSummary } from './summary.js';
import type { TradeOffRow } from './trade-off.js';
import { FIGURE_LABELS, type RunResult } from './types.js';

const COLORS = { domain: ['serf', 'grapevine'], range: ['#7b42bc', '#2e7d32'] };

export function figuresChart(rows: FigureSummary[], subtitle: string): Promise<string> {
  const values = rows.flatMap((r) => {
    const { label, unit } = FIGURE_LABELS[r.figure];
    return (['serf', 'grapevine'] as const).flatMap((system) => {
      const s = r[system];
      return s ? [{ figure: `${label} (${unit})`, n: `N = ${r.n}`, system, ...s }] : [];
    });
  });
  return toSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Grapevine and Serf side by side (median, whiskers min–max)', subtitle },
    data: { values },
    facet: {
      field: 'figure',
      type: 'nominal',
      title: null,
      sort: Object.values(FIGURE_LABELS).map((f) => `${f.label} (${f.unit})`),
    },
    columns: 3,
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 200,
      height: 140,
      encoding: {
        x: { field: 'n', type: 'nominal', title: null },
        xOffset: { field: 'system' },
        color: { field: 'system', type: 'nominal', scale: COLORS, title: 'system' },
      },
      layer: [
        { mark: 'bar', encoding: { y: { field: 'median', type: 'quantitative', title: null } } },
        {
          mark: { type: 'rule', color: 'black' },
          encoding: { y: { field: 'min', type: 'quantitative' }, y2: { field: 'max' } },
        },
      ],
    },
  });
}

export function falsePositivesChart(results: RunResult[], subtitle: string): Promise<string> {
  const values = results.flatMap((r) => {
    const f = r.falsePositives;
    if (!f) return [];
    return [
      { system: r.system, count: 'suspicions raised', value: f.suspicionsRaised },
      { system: r.system, count: 'false dead declarations', value: f.falseDeadDeclarations },
      { system: r.system, count: 'members falsely declared dead', value: f.membersFalselyDeclaredDead },
    ];
  });
  return toSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'False positives under UDP loss and a periodically frozen agent', subtitle },
    data: { values },
    facet: { field: 'count', type: 'nominal', title: null },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 160,
      height: 140,
      mark: 'bar',
      encoding: {
        x: { field: 'system', type: 'nominal', title: null },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'system', type: 'nominal', scale: COLORS },
      },
    },
  });
}

/**
 * The trade-off curve: kill -9 detection (every survivor, median over runs) against false dead
 * declarations under loss + freezes, one labelled point per system and setting.
 */
export function tradeOffChart(rows: TradeOffRow[], subtitle: string): Promise<string> {
  const values = rows
    .filter((r) => r.detectionLastS !== null)
    .map((r) => ({
      system: r.system,
      setting: r.tuning.label,
      detection: r.detectionLastS,
      falseDeaths: r.falseDeadDeclarations,
      suspicions: r.suspicionsRaised,
    }));
  const x = {
    field: 'detection',
    type: 'quantitative',
    title: 'kill -9 → every survivor marks dead (s, median)',
  } as const;
  const y = {
    field: 'falseDeaths',
    type: 'quantitative',
    title: 'false dead declarations under faults',
  } as const;
  return toSvg({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Failure detection: speed against false deaths', subtitle },
    data: { values },
    width: 520,
    height: 300,
    layer: [
      {
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          x,
          y,
          color: { field: 'system', type: 'nominal', scale: COLORS, title: 'system' },
          tooltip: [{ field: 'setting' }, { field: 'suspicions' }],
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 7, dy: -7, fontSize: 9 },
        encoding: { x, y, text: { field: 'setting' } },
      },
    ],
  });
}
