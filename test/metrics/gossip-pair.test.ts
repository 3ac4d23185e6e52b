// AgentMetrics fed by a real GossipNode: two nodes on the in-memory network, virtual clock.
import { expect } from 'chai';
import type { GossipNode } from '../../src/agent/core/gossip-node.js';
import { AgentMetrics } from '../../src/agent/metrics/agent-metrics.js';
import type { MetricsSource } from '../../src/agent/metrics/metrics-source.js';
import { type ClusterNode, MemoryCluster } from '../support/memory-cluster.js';
import { parseExposition, sampleValue } from './exposition.js';

function sourceOf(node: GossipNode): MetricsSource {
  return {
    stats: () => node.stats,
    counts: () => node.counts(),
    healthScore: () => node.healthScore(),
    viewDigest: () => node.viewDigest(),
    pendingRumors: () => node.pendingRumors(),
    pendingMail: () => node.pendingMail(),
  };
}

/** Feeds the node's events that the metrics have not seen yet. */
function feeder(entry: ClusterNode, metrics: AgentMetrics): () => void {
  let fed = 0;
  return () => {
    for (; fed < entry.events.length; fed++) {
      const e = entry.events[fed]!;
      metrics.observe(e, e.at);
    }
  };
}

describe('AgentMetrics on a real GossipNode pair', () => {
  it('counts a user event fired on one node in the spread histogram of the other', async () => {
    const c = new MemoryCluster(7);
    const a = c.add('a', '10.0.0.1:7946');
    const b = c.add('b', '10.0.0.2:7946');
    const metrics = new AgentMetrics(sourceOf(b.node), { node: 'b', cluster: 'test', now: () => c.now });
    const feed = feeder(b, metrics);
    b.node.join([a.node.addr], c.now);
    expect(c.runUntil(() => c.allSee({ a: 'alive', b: 'alive' }), 10_000)).to.equal(true);
    c.run(1_000);
    feed();
    let f = parseExposition(await metrics.text());
    const before = sampleValue(f, 'grapevine_rumor_spread_seconds_count', { kind: 'user-event' });
    expect(before).to.equal(0);

    const firedAt = c.now;
    a.node.fireEvent('deploy', new TextEncoder().encode('v2'), c.now);
    expect(c.runUntil(() => b.events.some((e) => e.type === 'user-event'), 5_000)).to.equal(true);
    const arrival = b.events.find((e) => e.type === 'user-event')!.at;
    feed();
    f = parseExposition(await metrics.text());
    expect(sampleValue(f, 'grapevine_rumor_spread_seconds_count', { kind: 'user-event' })).to.equal(1);
    expect(sampleValue(f, 'grapevine_rumor_spread_seconds_sum', { kind: 'user-event' })).to.be.closeTo(
      (arrival - firedAt) / 1000,
      1e-9,
    );
    expect(sampleValue(f, 'grapevine_rumor_hops_bucket', { kind: 'user-event', le: '1' })).to.equal(1);
    expect(sampleValue(f, 'grapevine_rumor_hops_bucket', { kind: 'user-event', le: '0' })).to.equal(0);
    expect(sampleValue(f, 'grapevine_rumor_clock_skew_total')).to.equal(0);

    // The counters and gauges are those of node b.
    expect(sampleValue(f, 'grapevine_messages_received_total', { type: 'user-event' })).to.equal(
      b.node.stats.messagesReceived['user-event'],
    );
    expect(sampleValue(f, 'grapevine_packets_received_total')).to.equal(b.node.stats.packetsReceived);
    expect(sampleValue(f, 'grapevine_probes_total')).to.equal(b.node.stats.probesSent).and.be.greaterThan(0);
    expect(sampleValue(f, 'grapevine_probe_rtt_seconds_count')).to.be.greaterThan(0);
    expect(sampleValue(f, 'grapevine_members', { state: 'alive' })).to.equal(2);
    // Both nodes hold the same view: the same digest, so the same number on both agents.
    const fa = parseExposition(await new AgentMetrics(sourceOf(a.node)).text());
    expect(sampleValue(fa, 'grapevine_view_digest')).to.equal(sampleValue(f, 'grapevine_view_digest'));
    // b learned of a (by the join's anti-entropy) ~1.1 s ago: that burst is not quiet for 2 s yet.
    expect(sampleValue(f, 'grapevine_convergence_seconds_count')).to.equal(0);
    c.run(2_000);
    f = parseExposition(await metrics.text());
    expect(sampleValue(f, 'grapevine_convergence_seconds_count')).to.equal(1);
    expect(sampleValue(f, 'grapevine_convergence_seconds_sum')).to.equal(0); // no origin stamp: starts here

    // A third node joins through a; b hears of it from a message stamped at its origin: the seed's
    // rumor or the newcomer's own announcement by direct mail, whichever arrives first.
    const joinedAt = c.now;
    const n3 = c.add('n3', '10.0.0.3:7946');
    n3.node.join([a.node.addr], c.now);
    const seenFrom = b.events.length;
    expect(c.runUntil(() => c.state('b', 'n3') === 'alive', 10_000)).to.equal(true);
    c.run(3_000);
    feed();
    const changes = b.events.slice(seenFrom).filter((e) => e.type === 'member');
    expect(changes.length).to.be.greaterThan(0);
    const first = changes[0]!;
    const last = changes[changes.length - 1]!;
    expect(first.type === 'member' && first.via).to.be.oneOf(['rumor', 'mail']);
    expect(first.type === 'member' && first.rumor?.origin).to.be.oneOf(['a', 'n3']);
    const start = first.type === 'member' ? (first.rumor?.originTime ?? first.at) : first.at;
    expect(start).to.be.at.least(joinedAt);
    f = parseExposition(await metrics.text());
    expect(sampleValue(f, 'grapevine_convergence_seconds_count')).to.equal(2);
    const seconds = sampleValue(f, 'grapevine_convergence_seconds_sum');
    expect(seconds).to.be.greaterThan(0);
    expect(seconds).to.be.closeTo((last.at - start) / 1000, 1e-9);
    expect(sampleValue(f, 'grapevine_rumor_spread_seconds_count', { kind: 'member' })).to.be.at.least(1);
  });
});
