// Unit tests for removal detection: fields our manager applied (managedFields fieldsV1) that the
// desired object no longer has. The real-apiserver tests are in operator-apply.test.ts.
import type { KubernetesObject } from '@kubernetes/client-node';
import { expect } from 'chai';
import { firstNoLongerDesired } from '../../src/operator/apply/owned-fields.js';

const MANAGER = 'grapevine-operator';

function live(
  fieldsV1: object,
  manager = MANAGER,
  operation = 'Apply',
  subresource?: string,
): KubernetesObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: {
      name: 'x',
      managedFields: [
        { manager, operation, fieldsType: 'FieldsV1', fieldsV1, ...(subresource ? { subresource } : {}) },
      ],
    },
  };
}

const applied = {
  'f:metadata': { 'f:labels': { 'f:app': {}, 'f:team': {} } },
  'f:spec': {
    'f:template': {
      'f:spec': {
        'f:nodeSelector': { 'f:kubernetes.io/os': {} },
        'f:tolerations': {},
        'f:containers': {
          'k:{"name":"agent"}': {
            '.': {},
            'f:resources': { 'f:limits': { 'f:cpu': {} } },
            'f:ports': { 'k:{"containerPort":7946,"protocol":"UDP"}': { '.': {}, 'f:containerPort': {} } },
          },
        },
      },
    },
  },
};

const desired = () => ({
  metadata: { labels: { app: 'g', team: 'net' } },
  spec: {
    template: {
      spec: {
        nodeSelector: { 'kubernetes.io/os': 'linux' },
        tolerations: [{ operator: 'Exists' }],
        containers: [
          {
            name: 'agent',
            resources: { limits: { cpu: '1' } },
            ports: [{ containerPort: 7946, protocol: 'UDP' }],
          },
        ],
      },
    },
  },
});

describe('firstNoLongerDesired (removals via managedFields)', () => {
  it('nothing to remove when the desired object has every applied field', () => {
    expect(firstNoLongerDesired(live(applied), desired(), MANAGER)).to.equal(undefined);
  });

  it('names a removed map entry, an atomic list, a field inside a keyed list element and a label', () => {
    const d1 = desired();
    d1.spec.template.spec.nodeSelector = {} as never;
    expect(firstNoLongerDesired(live(applied), d1, MANAGER)).to.equal(
      'spec.template.spec.nodeSelector.kubernetes.io/os',
    );
    const d2 = desired() as { spec: { template: { spec: Record<string, unknown> } } };
    delete d2.spec.template.spec.tolerations;
    expect(firstNoLongerDesired(live(applied), d2, MANAGER)).to.equal('spec.template.spec.tolerations');
    const d3 = desired() as { spec: { template: { spec: { containers: object[] } } } };
    d3.spec.template.spec.containers = [{ name: 'agent', ports: [{ containerPort: 7946, protocol: 'UDP' }] }];
    expect(firstNoLongerDesired(live(applied), d3, MANAGER)).to.match(
      /containers\[k:\{"name":"agent"\}\]\.resources$/,
    );
    const d4 = desired();
    d4.metadata.labels = { app: 'g' } as never;
    expect(firstNoLongerDesired(live(applied), d4, MANAGER)).to.equal('metadata.labels.team');
  });

  it('a keyed list element whose key changed is gone', () => {
    const d = desired();
    d.spec.template.spec.containers[0]!.ports = [{ containerPort: 8946, protocol: 'UDP' }];
    expect(firstNoLongerDesired(live(applied), d, MANAGER)).to.match(/ports\[k:/);
  });

  it('only our Apply entry counts: other managers, Update operations and the status subresource do not', () => {
    const d = desired() as { spec: { template: { spec: Record<string, unknown> } } };
    delete d.spec.template.spec.tolerations;
    expect(firstNoLongerDesired(live(applied, 'kubectl'), d, MANAGER)).to.equal(undefined);
    expect(firstNoLongerDesired(live(applied, MANAGER, 'Update'), d, MANAGER)).to.equal(undefined);
    expect(firstNoLongerDesired(live(applied, MANAGER, 'Apply', 'status'), d, MANAGER)).to.equal(undefined);
    expect(firstNoLongerDesired({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }, d, MANAGER)).to.equal(
      undefined,
    );
  });

  it('sets of scalars (v:) and indexes (i:)', () => {
    const set = live({ 'f:spec': { 'f:finalizers': { 'v:"a"': {}, 'v:"b"': {} }, 'f:args': { 'i:1': {} } } });
    expect(
      firstNoLongerDesired(set, { spec: { finalizers: ['a', 'b'], args: ['x', 'y'] } }, MANAGER),
    ).to.equal(undefined);
    expect(firstNoLongerDesired(set, { spec: { finalizers: ['a'], args: ['x', 'y'] } }, MANAGER)).to.equal(
      'spec.finalizers[v:"b"]',
    );
    expect(firstNoLongerDesired(set, { spec: { finalizers: ['a', 'b'], args: ['x'] } }, MANAGER)).to.equal(
      'spec.args[i:1]',
    );
  });
});
