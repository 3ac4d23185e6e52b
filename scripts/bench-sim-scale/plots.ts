// The simulator's scale figures as pictures, drawn from the bench's JSON rows with Vega-Lite.
import type { TopLevelSpec } from 'vega-lite';
import { toSvg } from '../vega-svg.js';
import type { AntiEntropyRow, LoadRow, SpreadRow } from './rows.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const logN = { field: 'nodes', type: 'quantitative', scale: { type: 'log' }, title: 'nodes (N)' } as const;

/** Hops and time to 99.9 % / 100 % informed against N, with the push bound, direct mail off and on. */
export function spreadChart(rows: SpreadRow[], subtitle: string): Promise<string> {
  const values = rows.flatMap((r) => {
    const mail = r.directMail ? 'direct mail on' : 'rumor mongering only';
    return [
      { mail, nodes: r.nodes, panel: 'hops', series: 'hops p99.9', value: r.hopsP999 },
      { mail, nodes: r.nodes, panel: 'hops', series: 'hops p100', value: r.hopsP100 },
      { mail, nodes: r.nodes, panel: 'hops', series: 'push bound', value: r.pushBound },
      { mail, nodes: r.nodes, panel: 'seconds', series: 'time p99.9', value: r.timeP999S },
      { mail, nodes: r.nodes, panel: 'seconds', series: 'time p100', value: r.timeP100S },
    ].filter((v) => v.value !== null);
  });
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    title: { text: 'Rumor spread against N: hops and time until 99.9 % / 100 % informed', subtitle },
    data: { values },
    facet: {
      row: { field: 'panel', type: 'nominal', title: null },
      column: { field: 'mail', type: 'nominal', title: null },
    },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 260,
      height: 160,
      mark: { type: 'line', point: true },
      encoding: {
        x: logN,
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'series', type: 'nominal', title: null },
      },
    },
  };
  return toSvg(spec);
}

/** Packets and bytes per node per second against N, without and with datagram loss. */
export function loadChart(rows: LoadRow[], subtitle: string): Promise<string> {
  const values = rows.flatMap((r) => {
    const loss = `${Math.round(r.loss * 100)} % loss`;
    return [
      { nodes: r.nodes, loss, figure: 'packets / node / s', value: r.packetsPerNodeS },
      { nodes: r.nodes, loss, figure: 'bytes / node / s', value: r.bytesPerNodeS },
    ];
  });
  return toSvg({
    $schema: SCHEMA,
    title: { text: 'Load per node against N, without and with 10 % datagram loss', subtitle },
    data: { values },
    facet: { column: { field: 'figure', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 260,
      height: 180,
      mark: { type: 'line', point: true },
      encoding: {
        x: logN,
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: true } },
        color: { field: 'loss', type: 'nominal', title: null },
      },
    },
  });
}

/** Anti-entropy bytes until every node is repaired, and the repair time, against divergent entries. */
export function antiEntropyChart(rows: AntiEntropyRow[], subtitle: string): Promise<string> {
  const values = rows.flatMap((r) => [
    { divergent: r.divergent, figure: 'bytes until repaired (all nodes)', value: r.bytesUntilRepaired },
    { divergent: r.divergent, figure: 'bytes of repairing exchanges', value: r.repairBytes },
    { divergent: r.divergent, figure: 'seconds until repaired everywhere', value: r.repairS },
  ]);
  const x = {
    field: 'divergent',
    type: 'quantitative',
    scale: { type: 'log' },
    title: 'entries divergent on one node',
  } as const;
  return toSvg({
    $schema: SCHEMA,
    title: { text: 'Anti-entropy cost against divergence', subtitle },
    data: { values: values.filter((v) => v.value !== null) },
    facet: { column: { field: 'figure', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 200,
      height: 180,
      mark: { type: 'line', point: true },
      encoding: {
        x,
        y: { field: 'value', type: 'quantitative', title: null, scale: { type: 'log' } },
      },
    },
  });
}
