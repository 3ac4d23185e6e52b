import { expect } from 'chai';
import type { AgentConfig } from '../../src/agent/config/agent-schema.js';
import { diffConfig } from '../../src/agent/config/config-diff.js';
import { loadAgentConfig, loadConfigFileParser } from '../../src/agent/config/load-agent-config.js';

const base = (): AgentConfig => loadAgentConfig({ hostname: () => 'n1' }).config;

function change(edit: (c: AgentConfig) => void) {
  const next = structuredClone(base());
  edit(next);
  return diffConfig(base(), next);
}

// Config files are YAML; the agent loads that parser only when it is given one.
before(() => loadConfigFileParser());
describe('diffConfig', () => {
  it('reports nothing for equal configs, whatever the key order of tags', () => {
    const a = { ...base(), tags: { x: '1', y: '2' } };
    const b = { ...base(), tags: { y: '2', x: '1' } };
    expect(diffConfig(a, b)).to.deep.equal({ live: [], restartRequired: [] });
  });

  it('applies gossip tunables, log level, tags, keyring file and seeds live', () => {
    const diff = change((c) => {
      c.gossip.probeIntervalMs = 2000;
      c.gossip.antiEntropy.mode = 'pull';
      c.gossip.directMail.maxPeers = 5;
      c.logLevel = 'debug';
      c.tags = { zone: 'b' };
      c.keyringFile = '/keys/new';
      c.join = ['10.0.0.1:7946'];
    });
    expect(diff.restartRequired).to.deep.equal([]);
    expect(diff.live.sort()).to.deep.equal(
      [
        'gossip.probeIntervalMs',
        'gossip.antiEntropy.mode',
        'gossip.directMail.maxPeers',
        'logLevel',
        'tags',
        'keyringFile',
        'join',
      ].sort(),
    );
  });

  it('requires a restart for identity, addresses, cluster, DNS seeds and the API token', () => {
    const diff = change((c) => {
      c.name = 'n2';
      c.bind = '0.0.0.0:8000';
      c.advertise = '10.0.0.9:8000';
      c.http = '0.0.0.0:9000';
      c.gossip.cluster = 'other';
      c.joinDns = 'seeds.example';
      c.apiTokenFile = '/token';
    });
    expect(diff.live).to.deep.equal([]);
    expect(diff.restartRequired.sort()).to.deep.equal(
      ['name', 'bind', 'advertise', 'http', 'gossip.cluster', 'joinDns', 'apiTokenFile'].sort(),
    );
  });

  it('counts removing an optional field as a change, and splits a mixed change', () => {
    const old = { ...base(), keyringFile: '/keys', joinDns: 'a.example' };
    const next = { ...base(), gossip: { ...base().gossip, gossipFanout: 4 } };
    const diff = diffConfig(old, next);
    expect(diff.live.sort()).to.deep.equal(['gossip.gossipFanout', 'keyringFile']);
    expect(diff.restartRequired).to.deep.equal(['joinDns']);
  });
});
