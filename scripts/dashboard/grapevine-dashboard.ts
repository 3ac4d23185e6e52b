// Builds the Grafana dashboard (charts/grapevine/dashboards/grapevine.json) from DASHBOARD_ROWS with
// the Grafana Foundation SDK: typed builders instead of hand-written JSON. Templated on the
// Prometheus datasource, the namespace and the GossipCluster.
import {
  LegendDisplayMode,
  LegendPlacement,
  VizLegendOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import {
  type Dashboard,
  DashboardBuilder,
  DashboardCursorSync,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { DASHBOARD_ROWS, type PanelSpec } from './dashboard-panels.js';

export const DASHBOARD_UID = 'grapevine-overview';
// Grafana's own variable syntax, not a JS template.
// biome-ignore lint/suspicious/noTemplateCurlyInString: a Grafana dashboard variable
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
const PANEL_WIDTH = 8;
const PANEL_HEIGHT = 8;

function variable(name: string, label: string, query: string) {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*');
}

function panel(p: PanelSpec, id: number) {
  const b = new PanelBuilder()
    .id(id)
    .title(p.title)
    .description(p.description)
    .datasource(DATASOURCE)
    .unit(p.unit)
    .height(PANEL_HEIGHT)
    .span(PANEL_WIDTH)
    .fillOpacity(10)
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.List)
        .placement(LegendPlacement.Bottom),
    );
  if (p.min !== undefined) b.min(p.min);
  p.queries.forEach((q, i) => {
    b.withTarget(
      new DataqueryBuilder()
        .datasource(DATASOURCE)
        .refId(String.fromCharCode(65 + i))
        .expr(q.expr)
        .legendFormat(q.legend)
        .range(),
    );
  });
  return b;
}

export function grapevineDashboard(): Dashboard {
  const d = new DashboardBuilder('Grapevine')
    .uid(DASHBOARD_UID)
    .description('Membership gossip: agents of a GossipCluster and the Grapevine operator.')
    .tags(['grapevine', 'gossip', 'kubernetes'])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(variable('namespace', 'Namespace', 'label_values(grapevine_agent_info, namespace)'))
    .withVariable(
      variable(
        'gossipcluster',
        'GossipCluster',
        'label_values(grapevine_agent_info{namespace=~"$namespace"}, gossipcluster)',
      ),
    );
  let id = 0;
  for (const row of DASHBOARD_ROWS) {
    d.withRow(new RowBuilder(row.title).id(++id));
    for (const p of row.panels) d.withPanel(panel(p, ++id));
  }
  return d.build();
}

/** The committed file's text: stable key order, so a regenerated file diffs cleanly. */
export function grapevineDashboardJson(): string {
  return `${JSON.stringify(grapevineDashboard(), null, 2)}\n`;
}
