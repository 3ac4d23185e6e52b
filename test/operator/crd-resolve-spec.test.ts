import { Value } from '@sinclair/typebox/value';
import { expect } from 'chai';
import { crNameProblems, MAX_NAME_LENGTH } from '../../src/operator/api/cr-name.js';
import { GossipClusterSpecSchema } from '../../src/operator/api/gossipcluster-schema.js';
import { resolveSpec } from '../../src/operator/api/resolve-spec.js';

function problemsOf(spec: unknown): string[] {
  const r = resolveSpec(spec);
  if (r.ok) throw new Error('expected problems');
  return r.problems;
}

describe('resolveSpec', () => {
  it('fills every default into an empty or missing spec', () => {
    for (const input of [{}, undefined, null]) {
      const r = resolveSpec(input);
      expect(r.ok).to.equal(true);
      if (!r.ok) return;
      expect(r.spec).to.deep.equal(Value.Default(GossipClusterSpecSchema, {}));
      expect(r.spec.ports).to.deep.equal({ gossip: 7946, http: 7947 });
      expect(r.spec.gossip.probeIntervalMs).to.equal(1000);
      expect(r.spec.metrics.serviceMonitor).to.deep.equal({ enabled: false, labels: {}, interval: '30s' });
      expect(r.spec.updateStrategy.type).to.equal('RollingUpdate');
    }
  });

  it('keeps what the user set and does not modify the input', () => {
    const input = {
      ports: { gossip: 8000 },
      gossip: { probeIntervalMs: 3000 },
      encryption: { secretRef: { name: 'k' } },
    };
    const copy = structuredClone(input);
    const r = resolveSpec(input);
    expect(input).to.deep.equal(copy);
    if (!r.ok) throw new Error(r.problems.join('; '));
    expect(r.spec.ports).to.deep.equal({ gossip: 8000, http: 7947 });
    expect(r.spec.gossip.probeIntervalMs).to.equal(3000);
    expect(r.spec.encryption).to.deep.equal({ secretRef: { name: 'k', key: 'keyring' } });
  });

  it('names the field path of each schema problem', () => {
    const problems = problemsOf({
      ports: { gossip: 0 },
      logLevel: 'loud',
      gosip: {},
      gossip: { probeIntervalMs: 5 },
    });
    expect(problems).to.include('spec.ports.gossip: must be an integer ≥ 1, got 0');
    expect(problems.find((p) => p.startsWith('spec.logLevel: '))).to.match(/trace, debug, info/);
    expect(problems).to.include('spec.gosip: unknown key (did you mean gossip?)');
    expect(problems).to.include('spec.gossip.probeIntervalMs: must be an integer ≥ 10, got 5');
  });

  it('checks the Kubernetes-only kinds (int-or-string quantities, affinity) with a useful reason', () => {
    expect(resolveSpec({ resources: { limits: { cpu: '100m', memory: 134217728 } } }).ok).to.equal(true);
    expect(
      resolveSpec({ updateStrategy: { maxUnavailable: '25%' }, affinity: { nodeAffinity: {} } }).ok,
    ).to.equal(true);
    expect(problemsOf({ resources: { requests: { cpu: true } } })).to.deep.equal([
      'spec.resources.requests.cpu: must be a number or text (e.g. 100m, 128Mi, 25%), got true',
    ]);
    expect(problemsOf({ affinity: [] })[0]).to.match(/^spec\.affinity: must be a mapping/);
  });

  it('applies the cross-field rule probeTimeoutMs < probeIntervalMs (the CRD CEL rule, for apiservers without CEL)', () => {
    expect(problemsOf({ gossip: { probeTimeoutMs: 1000 } })).to.deep.equal([
      'spec.gossip.probeTimeoutMs: must be less than probeIntervalMs (probeTimeoutMs=1000, probeIntervalMs=1000)',
    ]);
    expect(resolveSpec({ gossip: { probeTimeoutMs: 999 } }).ok).to.equal(true);
  });

  it('applies the rule that maxUnavailable needs RollingUpdate', () => {
    expect(problemsOf({ updateStrategy: { type: 'OnDelete', maxUnavailable: 1 } })).to.deep.equal([
      'spec.updateStrategy.maxUnavailable: applies only to type RollingUpdate, got type OnDelete',
    ]);
  });

  it('answers a non-mapping spec with one line', () => {
    expect(problemsOf(7)).to.deep.equal(['spec: must be a mapping, got number']);
    expect(problemsOf(['a'])).to.deep.equal(['spec: must be a mapping, got a list']);
  });
});

describe('crNameProblems', () => {
  it('accepts DNS-1035 labels that still fit with the -agent suffix', () => {
    expect(crNameProblems('grapevine')).to.deep.equal([]);
    expect(crNameProblems(`a${'b'.repeat(MAX_NAME_LENGTH - 1)}`)).to.deep.equal([]);
  });

  it('rejects the rest, naming metadata.name', () => {
    for (const bad of [`a${'b'.repeat(MAX_NAME_LENGTH)}`, '1abc', 'Abc', 'a.b', 'abc-', ''])
      expect(crNameProblems(bad), bad)
        .to.have.length(1)
        .and.satisfy((p: string[]) => p[0]!.startsWith('metadata.name: '));
  });
});
