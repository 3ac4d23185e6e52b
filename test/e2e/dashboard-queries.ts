// Every query of the committed Grafana dashboard, as Grafana would send it to Prometheus: template
// variables substituted, $__rate_interval computed the way Grafana does.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DASHBOARD = fileURLToPath(new URL('../../charts/grapevine/dashboards/grapevine.json', import.meta.url));

export interface DashboardQuery {
  panel: string;
  refId: string;
  expr: string;
}

interface Panel {
  type: string;
  title: string;
  targets?: Array<{ refId: string; expr: string }>;
}

export interface Dashboard {
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: unknown }> };
}

export function loadDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
}

/** Grafana: $__rate_interval = max($__interval + scrape interval, 4 × scrape interval). */
export function rateInterval(stepS: number, scrapeS: number): string {
  return `${Math.max(stepS + scrapeS, 4 * scrapeS)}s`;
}

export function substitute(expr: string, vars: Record<string, string>): string {
  return expr.replace(/\$(\w+)|\$\{(\w+)\}/g, (m, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    return vars[name] ?? m;
  });
}

export function dashboardQueries(d: Dashboard, vars: Record<string, string>): DashboardQuery[] {
  return d.panels
    .filter((p) => p.type !== 'row')
    .flatMap((p) =>
      (p.targets ?? []).map((t) => ({ panel: p.title, refId: t.refId, expr: substitute(t.expr, vars) })),
    );
}
