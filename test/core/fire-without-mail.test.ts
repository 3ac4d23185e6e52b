// A user event fired with direct mail off spreads by rumor mongering alone (the demo's "multi-hop"
// button): nobody receives it by mail, everyone still receives it once, and some only after 2+ hops.
import { expect } from 'chai';
import { resolveEngineConfig } from '../../src/agent/config/engine-schema.js';
import { MemoryCluster } from '../support/memory-cluster.js';

const N = 16;
const names = Array.from({ length: N }, (_, i) => `node-${i}`);

function joined(): MemoryCluster {
  const c = new MemoryCluster(3, resolveEngineConfig({}));
  for (const [i, name] of names.entries()) c.add(name, `10.0.0.${i + 1}:7946`);
  for (const name of names.slice(1)) c.get(name).join(['10.0.0.1:7946'], c.now);
  expect(c.runUntil(() => names.every((n) => c.get(n).counts().alive === N), 30_000)).to.equal(true);
  return c;
}

function receipts(c: MemoryCluster, event: string) {
  return names.flatMap((n) =>
    c.nodes
      .get(n)!
      .events.flatMap((e) =>
        e.type === 'user-event' && e.name === event ? [{ n, via: e.via, hops: e.rumor.hops }] : [],
      ),
  );
}

describe('GossipNode: a user event fired without direct mail', function () {
  this.timeout(60_000);

  it('reaches every node once, none by mail, some after more than one hop', () => {
    const c = joined();
    c.get('node-0').fireEvent('gossip-only', Uint8Array.of(1), c.now, { directMail: false });
    c.run(10_000);
    const got = receipts(c, 'gossip-only');
    expect(got.map((r) => r.n).sort()).to.deep.equal([...names].sort());
    expect(got.filter((r) => r.via === 'mail')).to.deep.equal([]);
    expect(Math.max(...got.map((r) => r.hops))).to.be.at.least(2);
  });

  it('by default the same event also goes by direct mail (one hop to every peer)', () => {
    const c = joined();
    c.get('node-0').fireEvent('mailed', Uint8Array.of(1), c.now);
    c.run(10_000);
    const got = receipts(c, 'mailed');
    expect(got).to.have.length(N);
    expect(got.filter((r) => r.via === 'mail').length).to.be.greaterThan(0);
  });
});
