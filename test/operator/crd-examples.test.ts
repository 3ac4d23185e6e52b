import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import { loadAgentConfig, loadConfigFileParser } from '../../src/agent/config/load-agent-config.js';
import { crNameProblems } from '../../src/operator/api/cr-name.js';
import type { GossipCluster } from '../../src/operator/api/gossipcluster-schema.js';
import { resolveSpec } from '../../src/operator/api/resolve-spec.js';
import { desiredObjects } from '../../src/operator/desired/desired-objects.js';

type Doc = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  spec?: unknown;
  stringData?: Record<string, string>;
};

function docs(file: string): Doc[] {
  const text = readFileSync(new URL(`../../examples/${file}`, import.meta.url), 'utf8');
  const parsed = parseAllDocuments(text);
  return parsed.map((d) => {
    expect(d.errors, file).to.deep.equal([]);
    return d.toJS() as Doc;
  });
}

// Config files are YAML; the agent loads that parser only when it is given one.
before(() => loadConfigFileParser());
describe('GossipCluster examples', () => {
  for (const file of [
    'gossipcluster-minimal.yaml',
    'gossipcluster-production.yaml',
    'gossipcluster-encrypted.yaml',
  ]) {
    it(`${file}: parses, passes resolveSpec, and yields an agent config the agent loads`, () => {
      const gcs = docs(file).filter((d) => d.kind === 'GossipCluster');
      expect(gcs).to.have.length(1);
      const gc = gcs[0]!;
      expect(gc.apiVersion).to.equal('grapevine.dev/v1alpha1');
      expect(crNameProblems(gc.metadata.name)).to.deep.equal([]);
      const r = resolveSpec(gc.spec);
      if (!r.ok) throw new Error(r.problems.join('; '));
      const cr = { ...gc, metadata: { ...gc.metadata, uid: 'u' } } as GossipCluster;
      const agentYaml = desiredObjects(cr, r.spec, { serviceMonitorCrdPresent: true }).configMap.data![
        'agent.yaml'
      ]!;
      const loaded = loadAgentConfig({
        flags: { config: '/etc/grapevine/agent.yaml' },
        env: { NODE_NAME: 'node-1', POD_IP: '10.0.0.5' },
        readFile: () => agentYaml,
      });
      expect(loaded.config.gossip).to.deep.equal({ ...r.spec.gossip, cluster: loaded.config.gossip.cluster });
    });
  }

  it('production: tuned protocol, resources, tolerations, ServiceMonitor', () => {
    const gc = docs('gossipcluster-production.yaml')[0]!;
    const r = resolveSpec(gc.spec);
    if (!r.ok) throw new Error(r.problems.join('; '));
    expect(r.spec.gossip.probeIntervalMs).to.not.equal(1000);
    expect(r.spec.resources?.requests).to.have.property('cpu');
    expect(r.spec.tolerations).to.have.length.greaterThan(0);
    expect(r.spec.metrics.serviceMonitor.enabled).to.equal(true);
  });

  it('encrypted: `encryption: {}` asks the operator to generate the keyring Secret (the easy path)', () => {
    const all = docs('gossipcluster-encrypted.yaml');
    const gc = all.find((d) => d.kind === 'GossipCluster')!;
    const r = resolveSpec(gc.spec);
    if (!r.ok) throw new Error(r.problems.join('; '));
    expect(r.spec.encryption).to.deep.equal({});
    // No placeholder Secret to forget: the operator would report a malformed one as Degraded.
    expect(all.filter((d) => d.kind === 'Secret')).to.deep.equal([]);
  });
});
