import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import type { CoreEvent, CoreStats } from '../../src/agent/core/types.js';
import { AgentMetrics } from '../../src/agent/metrics/agent-metrics.js';
import type { MemberRecord, RumorMeta } from '../../src/agent/wire/messages.js';
import { type Family, parseExposition, sampleValue } from './exposition.js';
import { FakeSource } from './fake-source.js';

const EXPECTED_FAMILIES: Record<string, string> = {
  grapevine_agent_info: 'gauge',
  grapevine_members: 'gauge',
  grapevine_local_health_score: 'gauge',
  grapevine_pending_rumors: 'gauge',
  grapevine_pending_direct_mail: 'gauge',
  grapevine_probes_total: 'counter',
  grapevine_probes_failed_total: 'counter',
  grapevine_indirect_probes_total: 'counter',
  grapevine_fallback_probes_total: 'counter',
  grapevine_fallback_probes_refused_total: 'counter',
  grapevine_probes_brought_forward_total: 'counter',
  grapevine_rumors_pruned_total: 'counter',
  grapevine_nacks_sent_total: 'counter',
  grapevine_nacks_received_total: 'counter',
  grapevine_suspicions_raised_total: 'counter',
  grapevine_suspicions_refuted_total: 'counter',
  grapevine_deaths_declared_total: 'counter',
  grapevine_messages_sent_total: 'counter',
  grapevine_messages_received_total: 'counter',
  grapevine_packets_sent_total: 'counter',
  grapevine_packets_received_total: 'counter',
  grapevine_packets_dropped_total: 'counter',
  grapevine_bytes_sent_total: 'counter',
  grapevine_bytes_received_total: 'counter',
  grapevine_direct_mail_sent_total: 'counter',
  grapevine_direct_mail_retries_total: 'counter',
  grapevine_direct_mail_acked_total: 'counter',
  grapevine_direct_mail_dropped_total: 'counter',
  grapevine_anti_entropy_rounds_total: 'counter',
  grapevine_anti_entropy_bytes_total: 'counter',
  grapevine_anti_entropy_repaired_total: 'counter',
  grapevine_anti_entropy_aborted_total: 'counter',
  grapevine_anti_entropy_evicted_total: 'counter',
  grapevine_view_digest: 'gauge',
  grapevine_rumor_spread_seconds: 'histogram',
  grapevine_rumor_hops: 'histogram',
  grapevine_rumor_clock_skew_total: 'counter',
  grapevine_probe_rtt_seconds: 'histogram',
  grapevine_convergence_seconds: 'histogram',
  grapevine_event_handler_runs_total: 'counter',
};

/** Which exported counter each scalar CoreStats field drives. */
const COUNTER_OF: Record<string, string> = {
  probesSent: 'grapevine_probes_total',
  probesFailed: 'grapevine_probes_failed_total',
  indirectProbesSent: 'grapevine_indirect_probes_total',
  fallbackProbesSent: 'grapevine_fallback_probes_total',
  fallbackProbesRefused: 'grapevine_fallback_probes_refused_total',
  probesBroughtForward: 'grapevine_probes_brought_forward_total',
  rumorsPruned: 'grapevine_rumors_pruned_total',
  nacksSent: 'grapevine_nacks_sent_total',
  nacksReceived: 'grapevine_nacks_received_total',
  suspicionsRaised: 'grapevine_suspicions_raised_total',
  suspicionsRefuted: 'grapevine_suspicions_refuted_total',
  deathsDeclared: 'grapevine_deaths_declared_total',
  packetsSent: 'grapevine_packets_sent_total',
  packetsReceived: 'grapevine_packets_received_total',
  bytesSent: 'grapevine_bytes_sent_total',
  bytesReceived: 'grapevine_bytes_received_total',
  directMailSent: 'grapevine_direct_mail_sent_total',
  directMailRetries: 'grapevine_direct_mail_retries_total',
  directMailDropped: 'grapevine_direct_mail_dropped_total',
  directMailAcked: 'grapevine_direct_mail_acked_total',
  antiEntropyRounds: 'grapevine_anti_entropy_rounds_total',
  antiEntropyBytes: 'grapevine_anti_entropy_bytes_total',
  antiEntropyRepaired: 'grapevine_anti_entropy_repaired_total',
  antiEntropyAborted: 'grapevine_anti_entropy_aborted_total',
  antiEntropyEvicted: 'grapevine_anti_entropy_evicted_total',
};

const REASONS = [
  'malformed',
  'foreign-cluster',
  'bad-key',
  'oversize',
  'replay',
  'unsupported-version',
  'bad-record',
  'unverified-addr',
];

async function scrape(m: AgentMetrics): Promise<Map<string, Family>> {
  return parseExposition(await m.text());
}

function rumor(originTime: number, hops = 1, origin = 'n1'): RumorMeta {
  return { origin, originTime, hops };
}

function member(name: string, state: MemberRecord['state'], incarnation = 0): MemberRecord {
  return { name, addr: `${name}:7946`, generation: 1, incarnation, state, tags: {} };
}

function memberEvent(
  name: string,
  r: RumorMeta | null,
  via: 'rumor' | 'local' | 'anti-entropy' = 'rumor',
): CoreEvent {
  return { type: 'member', member: member(name, 'alive'), previous: null, via, rumor: r };
}

function userEvent(r: RumorMeta, via: 'rumor' | 'local' = 'rumor'): CoreEvent {
  return {
    type: 'user-event',
    origin: r.origin,
    name: 'deploy',
    payload: new Uint8Array([1]),
    via,
    rumor: r,
  };
}

describe('AgentMetrics', () => {
  it('exports every documented metric family with its type from the first scrape', async () => {
    const f = await scrape(
      new AgentMetrics(new FakeSource(), { node: 'n0', cluster: 'prod', version: '9.9.9' }),
    );
    const types = Object.fromEntries([...f.values()].map((x) => [x.name, x.type]));
    expect(types).to.deep.equal(EXPECTED_FAMILIES);
    for (const fam of f.values()) expect(fam.help, fam.name).to.not.equal('');
    expect(
      sampleValue(f, 'grapevine_agent_info', { version: '9.9.9', cluster: 'prod', node: 'n0' }),
    ).to.equal(1);
  });

  it('exports every drop reason and message type at 0 before anything happened', async () => {
    const f = await scrape(new AgentMetrics(new FakeSource()));
    for (const reason of REASONS) {
      expect(sampleValue(f, 'grapevine_packets_dropped_total', { reason })).to.equal(0);
    }
    expect(f.get('grapevine_packets_dropped_total')!.samples).to.have.length(REASONS.length);
    for (const name of ['grapevine_messages_sent_total', 'grapevine_messages_received_total']) {
      const types = f.get(name)!.samples.map((s) => s.labels.type);
      expect(types).to.include.members(['ping', 'ping-req', 'ack', 'nack', 'member', 'user-event', 'kv']);
      expect(types).to.include.members(['mail', 'mail-ack', 'ae-start', 'ae-equal', 'ae-tree', 'ae-keys']);
      expect(types).to.include('ae-entries');
      expect(f.get(name)!.samples.every((s) => s.value === 0)).to.equal(true);
    }
    for (const kind of ['member', 'user-event', 'kv']) {
      expect(sampleValue(f, 'grapevine_rumor_spread_seconds_count', { kind })).to.equal(0);
    }
  });

  it('reports the version of package.json when none is given', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    const f = await scrape(new AgentMetrics(new FakeSource(), { node: 'a' }));
    expect(f.get('grapevine_agent_info')!.samples[0]!.labels.version).to.equal(pkg.version);
  });

  it('drives each counter from its own CoreStats field', async () => {
    const src = new FakeSource();
    const m = new AgentMetrics(src);
    const stats = src.current as unknown as Record<string, number>;
    const fields = Object.keys(COUNTER_OF);
    fields.forEach((field, i) => {
      stats[field] = (i + 1) * 7;
    });
    const f = await scrape(m);
    fields.forEach((field, i) => {
      expect(sampleValue(f, COUNTER_OF[field]!), field).to.equal((i + 1) * 7);
    });
    // Every scalar field of CoreStats is mapped (a new field needs a metric and this table).
    const scalarFields = Object.entries(src.current)
      .filter(([, v]) => typeof v === 'number')
      .map(([k]) => k);
    expect(scalarFields.sort()).to.deep.equal([...fields].sort());
  });

  it('counters follow the source across scrapes and stay monotonic when the source resets', async () => {
    const src = new FakeSource();
    const m = new AgentMetrics(src);
    const set = (patch: Partial<CoreStats>) => Object.assign(src.current, patch);
    set({ probesSent: 5, messagesSent: { ping: 3 }, dropped: { replay: 2 } });
    let f = await scrape(m);
    expect(sampleValue(f, 'grapevine_probes_total')).to.equal(5);
    expect(sampleValue(f, 'grapevine_messages_sent_total', { type: 'ping' })).to.equal(3);
    expect(sampleValue(f, 'grapevine_packets_dropped_total', { reason: 'replay' })).to.equal(2);
    set({ probesSent: 12, messagesSent: { ping: 7, ack: 1 }, dropped: { replay: 2, 'bad-key': 4 } });
    f = await scrape(m);
    expect(sampleValue(f, 'grapevine_probes_total')).to.equal(12);
    expect(sampleValue(f, 'grapevine_messages_sent_total', { type: 'ping' })).to.equal(7);
    expect(sampleValue(f, 'grapevine_messages_sent_total', { type: 'ack' })).to.equal(1);
    expect(sampleValue(f, 'grapevine_packets_dropped_total', { reason: 'bad-key' })).to.equal(4);
    // Same values again: nothing is added twice.
    f = await scrape(m);
    expect(sampleValue(f, 'grapevine_probes_total')).to.equal(12);
    // The core restarted from zero: what it counts since is added on top.
    set({ probesSent: 3, messagesSent: { ping: 1 }, dropped: {} });
    f = await scrape(m);
    expect(sampleValue(f, 'grapevine_probes_total')).to.equal(15);
    expect(sampleValue(f, 'grapevine_messages_sent_total', { type: 'ping' })).to.equal(8);
    expect(sampleValue(f, 'grapevine_messages_sent_total', { type: 'ack' })).to.equal(1);
    expect(sampleValue(f, 'grapevine_packets_dropped_total', { reason: 'bad-key' })).to.equal(4);
    set({ probesSent: 4 });
    f = await scrape(m);
    expect(sampleValue(f, 'grapevine_probes_total')).to.equal(16);
  });

  it('reads members by state, health and pending work at scrape time', async () => {
    const src = new FakeSource();
    const m = new AgentMetrics(src);
    src.memberCounts = { alive: 7, suspect: 2, dead: 1, left: 3 };
    src.health = 4;
    src.rumors = 11;
    src.mail = 5;
    let f = await scrape(m);
    for (const [state, n] of Object.entries(src.memberCounts)) {
      expect(sampleValue(f, 'grapevine_members', { state })).to.equal(n);
    }
    expect(sampleValue(f, 'grapevine_local_health_score')).to.equal(4);
    expect(sampleValue(f, 'grapevine_pending_rumors')).to.equal(11);
    expect(sampleValue(f, 'grapevine_pending_direct_mail')).to.equal(5);
    src.memberCounts = { alive: 6, suspect: 0, dead: 3, left: 3 };
    src.health = 0;
    f = await scrape(m);
    expect(sampleValue(f, 'grapevine_members', { state: 'alive' })).to.equal(6);
    expect(sampleValue(f, 'grapevine_members', { state: 'suspect' })).to.equal(0);
    expect(sampleValue(f, 'grapevine_local_health_score')).to.equal(0);
  });

  it('observes rumor spread and hops per kind, only for rumors that came from elsewhere', async () => {
    const m = new AgentMetrics(new FakeSource());
    m.observe(memberEvent('n1', rumor(1_000, 2)), 1_150);
    m.observe(memberEvent('n2', rumor(1_000, 0), 'local'), 1_000); // our own change
    m.observe(memberEvent('n3', null, 'anti-entropy'), 1_000); // no rumor, no origin stamp
    m.observe(userEvent(rumor(10_000, 3)), 10_040);
    m.observe(userEvent(rumor(10_000, 3)), 12_000);
    m.observe(userEvent(rumor(10_000, 20)), 10_005);
    m.observe(userEvent(rumor(10_000, 0), 'local'), 10_000);
    m.observe(
      { type: 'kv', key: 'k', value: null, writer: 'n1', via: 'rumor', rumor: rumor(5_000, 1) },
      5_030,
    );
    m.observe({ type: 'kv', key: 'k', value: null, writer: 'n1', via: 'anti-entropy', rumor: null }, 5_030);
    const f = await scrape(m);
    const count = (kind: string) => sampleValue(f, 'grapevine_rumor_spread_seconds_count', { kind });
    expect([count('member'), count('user-event'), count('kv')]).to.deep.equal([1, 3, 1]);
    expect(sampleValue(f, 'grapevine_rumor_spread_seconds_sum', { kind: 'member' })).to.be.closeTo(
      0.15,
      1e-9,
    );
    expect(sampleValue(f, 'grapevine_rumor_spread_seconds_sum', { kind: 'user-event' })).to.be.closeTo(
      2.045,
      1e-9,
    );
    const spreadLe = (le: string) =>
      sampleValue(f, 'grapevine_rumor_spread_seconds_bucket', { kind: 'user-event', le });
    expect([spreadLe('0.01'), spreadLe('0.05'), spreadLe('2.5'), spreadLe('+Inf')]).to.deep.equal([
      1, 2, 3, 3,
    ]);
    const hopsLe = (le: string) => sampleValue(f, 'grapevine_rumor_hops_bucket', { kind: 'user-event', le });
    expect([hopsLe('0'), hopsLe('2'), hopsLe('3'), hopsLe('16'), hopsLe('+Inf')]).to.deep.equal([
      0, 0, 2, 2, 3,
    ]);
    expect(sampleValue(f, 'grapevine_rumor_hops_sum', { kind: 'member' })).to.equal(2);
    expect(sampleValue(f, 'grapevine_rumor_clock_skew_total')).to.equal(0);
  });

  it('resolves LAN spreads below 10 ms: buckets start at 0.5 ms (issue 11)', async () => {
    const m = new AgentMetrics(new FakeSource());
    m.observe(userEvent(rumor(5_000)), 5_002); // 2 ms
    m.observe(userEvent(rumor(5_000)), 5_007); // 7 ms
    const f = await scrape(m);
    const le = (b: string) =>
      sampleValue(f, 'grapevine_rumor_spread_seconds_bucket', { kind: 'user-event', le: b });
    expect([le('0.0005'), le('0.001'), le('0.0025'), le('0.005'), le('0.01'), le('300')]).to.deep.equal([
      0, 0, 1, 1, 2, 2,
    ]);
  });

  it('does not record a spread from a clock that runs ahead: counts it as skew, keeps its hops (issue 8)', async () => {
    const m = new AgentMetrics(new FakeSource());
    m.observe(userEvent(rumor(5_000)), 4_200); // origin clock 800 ms ahead of ours
    m.observe(userEvent(rumor(5_000)), 5_100);
    const f = await scrape(m);
    expect(sampleValue(f, 'grapevine_rumor_clock_skew_total')).to.equal(1);
    expect(sampleValue(f, 'grapevine_rumor_spread_seconds_count', { kind: 'user-event' })).to.equal(1);
    expect(sampleValue(f, 'grapevine_rumor_spread_seconds_sum', { kind: 'user-event' })).to.be.closeTo(
      0.1,
      1e-9,
    );
    expect(
      sampleValue(f, 'grapevine_rumor_spread_seconds_bucket', { kind: 'user-event', le: '0.01' }),
    ).to.equal(0);
    expect(sampleValue(f, 'grapevine_rumor_hops_count', { kind: 'user-event' })).to.equal(2);
  });

  it('records probe round trips in seconds', async () => {
    const m = new AgentMetrics(new FakeSource());
    m.observe({ type: 'probe-rtt', target: 'n1', ms: 12 }, 0);
    m.observe({ type: 'probe-rtt', target: 'n2', ms: 0.3 }, 0);
    const f = await scrape(m);
    expect(sampleValue(f, 'grapevine_probe_rtt_seconds_count')).to.equal(2);
    expect(sampleValue(f, 'grapevine_probe_rtt_seconds_sum')).to.be.closeTo(0.0123, 1e-12);
    expect(sampleValue(f, 'grapevine_probe_rtt_seconds_bucket', { le: '0.0005' })).to.equal(1);
    expect(sampleValue(f, 'grapevine_probe_rtt_seconds_bucket', { le: '0.01' })).to.equal(1);
    expect(sampleValue(f, 'grapevine_probe_rtt_seconds_bucket', { le: '0.025' })).to.equal(2);
  });

  it('exports the digest as a number only: no series per digest (issue 11)', async () => {
    const src = new FakeSource();
    const m = new AgentMetrics(src);
    src.digest = '1:65536';
    let f = await scrape(m);
    expect(f.has('grapevine_view_digest_info')).to.equal(false);
    expect(sampleValue(f, 'grapevine_view_digest')).to.equal(65_537); // hi · 2^16 + top 16 bits of lo
    src.digest = '4294967295:4294967295';
    f = await scrape(m);
    expect(f.has('grapevine_view_digest_info')).to.equal(false);
    expect(sampleValue(f, 'grapevine_view_digest')).to.equal(2 ** 48 - 1);
    // Two agents holding the same view export the same number; other digests give other numbers.
    const other = new FakeSource();
    other.digest = src.digest;
    const g = await scrape(new AgentMetrics(other));
    expect(sampleValue(g, 'grapevine_view_digest')).to.equal(sampleValue(f, 'grapevine_view_digest'));
    other.digest = 'not-a-gossip-digest';
    const h = await scrape(new AgentMetrics(other));
    const v = sampleValue(h, 'grapevine_view_digest');
    expect(Number.isSafeInteger(v) && v >= 0 && v < 2 ** 48).to.equal(true);
    expect(v).to.not.equal(sampleValue(f, 'grapevine_view_digest'));
  });

  it('observes a convergence burst once the view has been quiet, from the first origin time', async () => {
    const src = new FakeSource();
    let now = 0;
    const m = new AgentMetrics(src, { now: () => now, convergenceQuietMs: 2_000 });
    src.digest = '1:1';
    m.observe(memberEvent('n1', rumor(1_000)), 1_300);
    src.digest = '2:2';
    m.observe(memberEvent('n2', rumor(1_500)), 1_800);
    now = 3_000; // 1.2 s of quiet: not yet
    let f = await scrape(m);
    expect(sampleValue(f, 'grapevine_convergence_seconds_count')).to.equal(0);
    now = 3_900;
    f = await scrape(m);
    expect(sampleValue(f, 'grapevine_convergence_seconds_count')).to.equal(1);
    expect(sampleValue(f, 'grapevine_convergence_seconds_sum')).to.be.closeTo(0.8, 1e-9);
    now = 10_000; // nothing new: nothing observed twice
    f = await scrape(m);
    expect(sampleValue(f, 'grapevine_convergence_seconds_count')).to.equal(1);
  });

  it('uses the registry it is given and is independent of other agents', async () => {
    const registry = new Registry();
    const a = new AgentMetrics(new FakeSource(), { registry, node: 'a' });
    const b = new AgentMetrics(new FakeSource(), { node: 'b' });
    expect(a.registry).to.equal(registry);
    expect(await registry.metrics()).to.include('node="a"');
    expect(await b.text())
      .to.include('node="b"')
      .and.not.include('node="a"');
    expect(a.contentType).to.match(/^text\/plain; version=0\.0\.4/);
  });

  it('documents every exported metric in docs/metrics.md, and nothing else', async () => {
    const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
    const documented = new Set(
      [...doc.matchAll(/^\| `(grapevine_[a-z0-9_]+)(?:\{[^`]*\})?` \| (counter|gauge|histogram) \|/gm)].map(
        (x) => `${x[1]} ${x[2]}`,
      ),
    );
    const exported = Object.entries(EXPECTED_FAMILIES).map(([n, t]) => `${n} ${t}`);
    expect([...documented].sort()).to.deep.equal(exported.sort());
  });

  it('produces an exposition that promtool accepts', async function () {
    const probe = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    if (probe.error) {
      if (process.env.CI)
        throw new Error('promtool missing in CI: scripts/test.sh installs Debian prometheus');
      console.log('      (skipped: promtool not installed; `apt-get install -y prometheus` provides it)');
      this.skip();
    }
    const src = new FakeSource();
    Object.assign(src.current, {
      probesSent: 9,
      bytesSent: 1234,
      messagesSent: { ping: 9 },
      dropped: { oversize: 1 },
    });
    src.memberCounts = { alive: 3, suspect: 1, dead: 1, left: 0 };
    src.digest = '123:456';
    let now = 0;
    const m = new AgentMetrics(src, { node: 'n0', cluster: 'c"1\\x', now: () => now });
    m.observe(memberEvent('n1', rumor(100)), 250);
    m.observe(userEvent(rumor(500, 4)), 400);
    m.observe({ type: 'probe-rtt', target: 'n1', ms: 3 }, 0);
    now = 5_000;
    const text = await m.text();
    expect(sampleValue(parseExposition(text), 'grapevine_convergence_seconds_count')).to.equal(1);
    const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect({ status: run.status, output: `${run.stdout}${run.stderr}`.trim() }).to.deep.equal({
      status: 0,
      output: '',
    });
  });
});
