// agentTargets: which pods the operator polls, and the URL it uses for each.
import { expect } from 'chai';
import { agentTargets, agentUrl, type PodLike } from '../../src/operator/status/agent-targets.js';

const pod = (
  name: string,
  ip: string | undefined,
  o: { phase?: string; ready?: boolean; deleting?: boolean } = {},
): PodLike => ({
  metadata: { name, ...(o.deleting ? { deletionTimestamp: '2025-01-01T00:00:00Z' } : {}) },
  status: {
    phase: o.phase ?? 'Running',
    ...(ip ? { podIP: ip } : {}),
    conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
  },
});

describe('agentTargets', () => {
  it('addresses Running pods by IP and HTTP port, IPv6 in brackets, sorted by pod name', () => {
    const targets = agentTargets([pod('gv-b', 'fd00::7'), pod('gv-a', '10.0.0.7', { ready: false })], 7947);
    expect(targets).to.deep.equal([
      { pod: 'gv-a', url: 'http://10.0.0.7:7947', ready: false },
      { pod: 'gv-b', url: 'http://[fd00::7]:7947', ready: true },
    ]);
  });

  it('skips pods without an IP, not Running, being deleted, or with a malformed IP', () => {
    const targets = agentTargets(
      [
        pod('no-ip', undefined),
        pod('pending', '10.0.0.1', { phase: 'Pending' }),
        pod('failed', '10.0.0.2', { phase: 'Failed' }),
        pod('deleting', '10.0.0.3', { deleting: true }),
        pod('garbage', 'not-an-ip'),
        { status: { phase: 'Running', podIP: '10.0.0.4' } },
        pod('ok', '10.0.0.5'),
      ],
      8080,
    );
    expect(targets.map((t) => t.pod)).to.deep.equal(['ok']);
  });

  it('a pod without conditions counts as not ready', () => {
    expect(
      agentTargets([{ metadata: { name: 'x' }, status: { phase: 'Running', podIP: '10.1.1.1' } }], 1),
    ).to.deep.equal([{ pod: 'x', url: 'http://10.1.1.1:1', ready: false }]);
  });

  it('agentUrl rejects host names (only IPs from the pod status are used)', () => {
    expect(agentUrl('example.com', 80)).to.equal(undefined);
    expect(agentUrl('::1', 80)).to.equal('http://[::1]:80');
  });
});
