import { expect } from 'chai';
import { firstDifference, holdsDesired, quantity } from '../../src/operator/apply/desired-subset.js';

describe('operator: does the live object hold what we want?', () => {
  it('ignores fields the apiserver added, notices fields that changed or went missing', () => {
    const desired = { spec: { replicas: 1, template: { labels: { a: 'b' } }, ports: [{ port: 1 }] } };
    const live = {
      metadata: { resourceVersion: '7' },
      spec: {
        replicas: 1,
        revisionHistoryLimit: 10,
        template: { labels: { a: 'b' } },
        ports: [{ port: 1, protocol: 'TCP' }],
      },
      status: { ready: 1 },
    };
    expect(holdsDesired(desired, live)).to.equal(true);
    expect(holdsDesired(desired, { ...live, spec: { ...live.spec, replicas: 2 } })).to.equal(false);
    expect(holdsDesired(desired, { ...live, spec: { ...live.spec, template: {} } })).to.equal(false);
    expect(holdsDesired(desired, { ...live, spec: { ...live.spec, ports: [] } })).to.equal(false);
  });

  it('treats a zero value we set as matching a field the apiserver omitted (omitempty)', () => {
    expect(holdsDesired({ spec: { hostNetwork: false, tolerations: [] } }, { spec: {} })).to.equal(true);
    expect(holdsDesired({ spec: { hostNetwork: true } }, { spec: {} })).to.equal(false);
    expect(firstDifference({ spec: { a: { b: 1 } } }, { spec: { a: { b: 2 } } })).to.equal('spec.a.b');
  });

  it('treats canonicalised quantities and int-or-string numbers as equal', () => {
    expect(holdsDesired({ cpu: '0.5' }, { cpu: '500m' })).to.equal(true);
    expect(holdsDesired({ memory: '1024Mi' }, { memory: '1Gi' })).to.equal(true);
    expect(holdsDesired({ memory: '1e3' }, { memory: '1k' })).to.equal(true);
    expect(holdsDesired({ maxUnavailable: 1 }, { maxUnavailable: '1' })).to.equal(true);
    expect(holdsDesired({ cpu: '0.5' }, { cpu: '501m' })).to.equal(false);
    expect(holdsDesired({ image: 'a:1' }, { image: 'a:2' })).to.equal(false);
    expect(quantity('not-a-quantity')).to.equal(undefined);
    expect(quantity('2Ki')).to.equal(2048);
  });
});
