// Every generated file of charts/grapevine, with the function that writes its text. scripts/gen-chart.ts
// writes them; test/chart/chart-generated.test.ts fails when a committed file differs (drift from
// rbac.ts, the CRD, the schemas, the CLI flags or the dashboard source).

import { CRD_NAME } from '../../src/operator/api/crd.js';
import { gossipClusterCrdYaml } from '../../src/operator/api/crd-yaml.js';
import { grapevineDashboardJson } from '../dashboard/grapevine-dashboard.js';
import { chartRbacJson } from './chart-rbac.js';
import { valuesSchemaJson } from './chart-values-schema.js';

export const CHART_DIR = 'charts/grapevine';

export interface GeneratedFile {
  /** Relative to the repository root. */
  path: string;
  text: () => string;
}

export const GENERATED_FILES: readonly GeneratedFile[] = [
  // Helm installs crds/ before the templates; the same text as crds/ at the repository root.
  { path: `${CHART_DIR}/crds/${CRD_NAME}.yaml`, text: gossipClusterCrdYaml },
  { path: `${CHART_DIR}/files/rbac.json`, text: chartRbacJson },
  { path: `${CHART_DIR}/values.schema.json`, text: valuesSchemaJson },
  { path: `${CHART_DIR}/dashboards/grapevine.json`, text: grapevineDashboardJson },
];
