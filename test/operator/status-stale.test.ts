// The pure halves of the status writer's bookkeeping: which stored fields an apply left behind
// (stale-status.ts) and what changed between two statuses (the reason logged for each write).
import { expect } from 'chai';
import type { GossipClusterStatus } from '../../src/operator/api/gossipcluster-schema.js';
import { staleStatusPaths } from '../../src/operator/status/stale-status.js';
import { statusDifferences } from '../../src/operator/status/status-equal.js';

const cond = (type: string, status: 'True' | 'False' = 'True') => ({
  type,
  status,
  reason: 'R',
  message: 'm',
  lastTransitionTime: '2026-11-28T00:00:00Z',
});

describe('staleStatusPaths', () => {
  const desired: GossipClusterStatus = {
    observedGeneration: 2,
    conditions: [cond('Ready'), cond('Degraded', 'False')],
    members: { alive: 3, suspect: 0, dead: 0, left: 0 },
  };

  it('finds nothing when the stored status is what was applied', () => {
    expect(staleStatusPaths(structuredClone(desired), desired)).to.deep.equal([]);
    expect(staleStatusPaths(undefined, desired)).to.deep.equal([]);
  });

  it('names extra top-level and nested keys, and extra conditions by index, highest first', () => {
    const stored = {
      ...structuredClone(desired),
      agentsReached: 3,
      conditions: [
        cond('Available'),
        cond('Ready'),
        { ...cond('Degraded', 'False'), extra: 'x' },
        cond('Old'),
      ],
      members: { alive: 3, suspect: 0, dead: 0, left: 0, zombie: 1 },
    } as unknown as GossipClusterStatus;
    expect(staleStatusPaths(stored, desired)).to.deep.equal([
      '/status/conditions/3',
      '/status/conditions/2/extra',
      '/status/conditions/0',
      '/status/members/zombie',
      '/status/agentsReached',
    ]);
  });
});

describe('statusDifferences', () => {
  it('names the changed fields, conditions by type', () => {
    const a: GossipClusterStatus = {
      observedGeneration: 1,
      conditions: [cond('Ready', 'False')],
      desiredAgents: 1,
    };
    const b: GossipClusterStatus = { observedGeneration: 2, conditions: [cond('Ready')], desiredAgents: 1 };
    expect(statusDifferences(a, b)).to.deep.equal(['observedGeneration', 'conditions[Ready].status']);
    expect(statusDifferences(a, structuredClone(a))).to.deep.equal([]);
    expect(statusDifferences(undefined, { readyAgents: 0 })).to.deep.equal(['readyAgents']);
  });
});
