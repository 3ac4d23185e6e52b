// The chart rendered by the real helm (scripts/build-helm.sh): `helm lint --strict`, `helm template`
// with default and non-default values (namespaced mode included), and values.schema.json refusing
// bad values. RBAC rules in every mode are compared with src/operator/rbac.ts.
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { CLUSTER_RULES, LEASE_RULES, NAMESPACED_RULES, type PolicyRule } from '../../src/operator/rbac.js';
import { CHART_PATH, helm, helmTemplate, skipWithoutHelm } from '../support/helm.js';

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // biome-ignore lint/suspicious/noExplicitAny: rendered manifests are read field by field in the assertions
  spec?: any;
  rules?: PolicyRule[];
  data?: Record<string, string>;
  roleRef?: { kind: string; name: string };
  subjects?: Array<{ kind: string; name: string; namespace: string }>;
}

const docs = (text: string): Obj[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
const find = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind);
const one = (objs: Obj[], kind: string) => {
  const all = find(objs, kind);
  expect(all, kind).to.have.length(1);
  return all[0]!;
};
const sortedRules = (rules: PolicyRule[]) => rules.map((r) => JSON.stringify(r)).sort();

describe('chart: rendered by the real helm', function () {
  this.timeout(60_000);
  before(function () {
    skipWithoutHelm(this);
  });

  it('helm lint --strict passes, with default and with namespaced values', async () => {
    for (const extra of [[], ['--set', 'operator.watchNamespaces={team-a,team-b}']]) {
      const r = await helm(['lint', '--strict', CHART_PATH, ...extra]);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
    }
  });

  it('defaults: a 2-replica operator Deployment with probes, a restrictive security context and resources', async () => {
    const objs = docs(await helmTemplate());
    const dep = one(objs, 'Deployment');
    expect(dep.spec.replicas).to.equal(2);
    const pod = dep.spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).to.equal('ghcr.io/grapevine-dev/grapevine:0.1.0');
    expect(c.args).to.include.members(['operator', '--http=0.0.0.0:8081', '--status-interval-ms=30000']);
    expect(c.args.some((a: string) => a.startsWith('--namespace'))).to.equal(false);
    expect(c.livenessProbe.httpGet).to.deep.equal({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).to.deep.equal({ path: '/readyz', port: 'http' });
    expect(c.securityContext).to.deep.include({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    });
    expect(c.securityContext.capabilities.drop).to.deep.equal(['ALL']);
    expect(c.resources.requests).to.have.keys('cpu', 'memory');
    expect(c.env.map((e: { name: string }) => e.name)).to.include.members(['POD_NAME', 'POD_NAMESPACE']);
    expect(pod.serviceAccountName).to.equal(one(objs, 'ServiceAccount').metadata.name);
    for (const o of objs) {
      expect(o.metadata.labels?.['helm.sh/chart'], `${o.kind} ${o.metadata.name}`).to.equal(
        'grapevine-0.1.0',
      );
      expect(o.metadata.labels?.['app.kubernetes.io/instance'], o.kind).to.equal('gv');
    }
    expect(one(objs, 'PodDisruptionBudget').spec.maxUnavailable).to.equal(1);
    // Optional objects are off by default.
    for (const kind of ['ServiceMonitor', 'PodMonitor', 'GossipCluster'])
      expect(find(objs, kind)).to.be.empty;
  });

  it('cluster-wide RBAC: one ClusterRole whose rules are exactly rbac.ts, bound to the ServiceAccount', async () => {
    const objs = docs(await helmTemplate());
    const role = one(objs, 'ClusterRole');
    expect(sortedRules(role.rules!)).to.deep.equal(sortedRules([...CLUSTER_RULES]));
    // The Lease is granted by a Role in the release namespace only.
    const lease = one(objs, 'Role');
    expect(lease.metadata.namespace).to.equal('grapevine-system');
    expect(sortedRules(lease.rules!)).to.deep.equal(sortedRules([...LEASE_RULES]));
    const binding = one(objs, 'ClusterRoleBinding');
    expect(binding.roleRef).to.include({ kind: 'ClusterRole', name: role.metadata.name });
    expect(binding.subjects).to.deep.equal([
      {
        kind: 'ServiceAccount',
        name: one(objs, 'ServiceAccount').metadata.name,
        namespace: 'grapevine-system',
      },
    ]);
  });

  it('namespaced mode: --namespace ns1,ns2, a Role per namespace with the namespaced rules of rbac.ts, a Lease Role, no ClusterRole', async () => {
    const objs = docs(await helmTemplate(['--set', 'operator.watchNamespaces={team-a,team-b}']));
    const args: string[] = one(objs, 'Deployment').spec.template.spec.containers[0].args;
    expect(args).to.include('--namespace=team-a,team-b');
    const roles = find(objs, 'Role');
    expect(roles.map((r) => r.metadata.namespace).sort()).to.deep.equal([
      'grapevine-system',
      'team-a',
      'team-b',
    ]);
    for (const ns of ['team-a', 'team-b']) {
      const perNs = roles.filter((r) => r.metadata.namespace === ns)[0]!;
      expect(sortedRules(perNs.rules!)).to.deep.equal(sortedRules([...NAMESPACED_RULES]));
    }
    const lease = roles.filter((r) => r.metadata.namespace === 'grapevine-system')[0]!;
    expect(sortedRules(lease.rules!)).to.deep.equal(sortedRules([...LEASE_RULES]));
    // Namespaced mode grants nothing cluster-wide.
    expect(find(objs, 'ClusterRole')).to.be.empty;
    expect(find(objs, 'ClusterRoleBinding')).to.be.empty;
    const bindings = find(objs, 'RoleBinding');
    expect(bindings).to.have.length(3);
    for (const b of bindings) expect(b.roleRef!.kind).to.equal('Role');
  });

  it('non-default values: image, pull secrets, placement, monitors, example cluster, dashboard label/folder', async () => {
    const objs = docs(
      await helmTemplate([
        '--set',
        'image.repository=registry.example/gv',
        '--set',
        'image.tag=9.9.9',
        '--set',
        'imagePullSecrets[0].name=pull',
        '--set',
        'operator.replicas=3',
        '--set',
        'operator.priorityClassName=system-cluster-critical',
        '--set',
        'operator.nodeSelector.role=infra',
        '--set',
        'operator.tolerations[0].key=infra',
        '--set',
        'operator.tolerations[0].operator=Exists',
        '--set',
        'operator.flags.statusIntervalMs=5000',
        '--set',
        'metrics.serviceMonitor.enabled=true',
        '--set',
        'metrics.serviceMonitor.labels.release=prom',
        '--set',
        'metrics.podMonitor.enabled=true',
        '--set',
        'exampleCluster.enabled=true',
        '--set',
        'exampleCluster.spec.gossip.probeIntervalMs=2000',
        '--set',
        'dashboard.label=my_dashboards',
        '--set',
        'dashboard.folder=Gossip',
      ]),
    );
    const pod = one(objs, 'Deployment').spec.template.spec;
    expect(pod.containers[0].image).to.equal('registry.example/gv:9.9.9');
    expect(pod.containers[0].args).to.include('--status-interval-ms=5000');
    expect(pod.imagePullSecrets).to.deep.equal([{ name: 'pull' }]);
    expect(pod.priorityClassName).to.equal('system-cluster-critical');
    expect(pod.nodeSelector).to.deep.equal({ role: 'infra' });
    expect(pod.tolerations).to.deep.equal([{ key: 'infra', operator: 'Exists' }]);
    expect(one(objs, 'Deployment').spec.replicas).to.equal(3);
    const sm = one(objs, 'ServiceMonitor');
    expect(sm.metadata.labels!.release).to.equal('prom');
    expect(sm.spec.endpoints[0]).to.include({ port: 'http', path: '/metrics' });
    const pm = one(objs, 'PodMonitor');
    expect(pm.spec.namespaceSelector).to.deep.equal({ any: true });
    expect(pm.spec.selector.matchLabels).to.include({ 'app.kubernetes.io/component': 'agent' });
    const gc = one(objs, 'GossipCluster');
    expect(gc.spec).to.deep.equal({ gossip: { probeIntervalMs: 2000 } });
    const cm = find(objs, 'ConfigMap').find((c) => c.metadata.name.endsWith('-dashboard'))!;
    expect(cm.metadata.labels!.my_dashboards).to.equal('1');
    expect(cm.metadata.annotations!.grafana_folder).to.equal('Gossip');
    expect(JSON.parse(cm.data!['grapevine.json']!).uid).to.equal('grapevine-overview');
  });

  it('the dashboard ConfigMap is labelled for the Grafana sidecar by default', async () => {
    const cm = find(docs(await helmTemplate()), 'ConfigMap').find(
      (c) => c.metadata.name === 'gv-grapevine-dashboard',
    )!;
    expect(cm.metadata.labels!.grafana_dashboard).to.equal('1');
    expect(cm.metadata.annotations!.grafana_folder).to.equal('Grapevine');
  });

  it('helm test hook: a test pod that runs the release image', async () => {
    const objs = docs(await helmTemplate());
    const pod = find(objs, 'Pod').find((p) => p.metadata.annotations?.['helm.sh/hook'] === 'test')!;
    expect(pod, 'no helm test pod').to.not.equal(undefined);
    expect(pod.spec.containers[0].image).to.equal('ghcr.io/grapevine-dev/grapevine:0.1.0');
    expect(pod.spec.containers[0].args[0]).to.include('GV_GRAPEVINE_OPERATOR_SERVICE_HOST');
  });

  it('values.schema.json refuses bad values with a message naming the field', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--set', 'operator.replicas=0'], /replicas/],
      [['--set', 'operator.flags.workers=-1'], /workers/],
      [['--set', 'operator.flags.noSuchFlag=1'], /noSuchFlag/],
      [['--set', 'image.pullPolicy=Sometimes'], /pullPolicy/],
      [['--set', 'operator.watchNamespaces={Bad_Name}'], /watchNamespaces/],
      [['--set-json', 'operator.resources={"limits":{"memory":[1]}}'], /memory/],
    ];
    for (const [values, message] of cases) {
      const r = await helm(['template', 'gv', CHART_PATH, ...values]);
      expect(r.code, values.join(' ')).to.not.equal(0);
      expect(r.stderr, values.join(' ')).to.match(message);
    }
  });
});
