// The chart's generated files equal what their sources generate today (scripts/gen-chart.ts), the
// chart's CRD is byte-identical to crds/, and the chart follows the package version.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse } from 'yaml';
import { CHART_DIR, GENERATED_FILES } from '../../scripts/chart/chart-files.js';
import { chartRbac } from '../../scripts/chart/chart-rbac.js';
import { operatorFlagValues } from '../../scripts/chart/operator-flag-values.js';
import { CRD_FILE } from '../../src/operator/api/crd-yaml.js';
import { CLUSTER_RULES, LEASE_RULES, NAMESPACED_RULES, type PolicyRule } from '../../src/operator/rbac.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}${path}`, 'utf8');
const key = (r: PolicyRule) => JSON.stringify(r);

describe('chart: generated files', () => {
  for (const f of GENERATED_FILES) {
    it(`${f.path} is up to date (else run: node --import tsx scripts/gen-chart.ts)`, () => {
      expect(read(f.path) === f.text(), `${f.path} differs from its source`).to.equal(true);
    });
  }

  it('the chart ships the same CRD file as crds/', () => {
    expect(read(`${CHART_DIR}/${CRD_FILE}`)).to.equal(read(CRD_FILE));
  });

  it('appVersion (the default image tag) is the package version', () => {
    const chart = parse(read(`${CHART_DIR}/Chart.yaml`)) as { appVersion: string };
    const pkg = JSON.parse(read('package.json')) as { version: string };
    expect(chart.appVersion).to.equal(pkg.version);
  });

  it('rbac.json holds exactly the rule sets of rbac.ts; the Lease is granted apart from watched namespaces', () => {
    const rbac = chartRbac();
    expect(rbac.clusterWide.map(key)).to.deep.equal(CLUSTER_RULES.map(key));
    expect(rbac.namespaced.map(key)).to.deep.equal(NAMESPACED_RULES.map(key));
    expect(rbac.lease.map(key)).to.deep.equal(LEASE_RULES.map(key));
    expect(rbac.lease.flatMap((r) => r.resources)).to.deep.equal(['leases']);
    for (const r of [...rbac.clusterWide, ...rbac.namespaced]) expect(r.resources).to.not.include('leases');
  });

  it('values.yaml operator.flags defaults are the CLI defaults', () => {
    const values = parse(read(`${CHART_DIR}/values.yaml`)) as {
      operator: { flags: Record<string, unknown> };
    };
    const fromCli = Object.fromEntries(operatorFlagValues().map((f) => [f.key, f.default]));
    expect(values.operator.flags).to.deep.equal(fromCli);
  });
});
