// Operator benchmark on a real kube-apiserver (the test control plane, see scripts/build-testbin.sh):
// 1. 100 GossipClusters created at once: time until all are reconciled (ConfigMap + status), then
//    until the operator has made no write for 5 s (settled), so no phase counts another's writes;
// 2. 200 spec updates, one at a time: reconcile latency and the API writes they cost, by verb/kind;
// 3. 60 s idle (informers resync every 20 s): API writes and reconciles;
// Each phase also reports why the status was written (the reconciler's debug 'writing status' line:
// which status fields changed), counted by reason.
// 4. 60 s with one permanently failing GossipCluster (a quota forbids its DaemonSet): API writes;
// 5. the 100 GossipClusters deleted at once: time until the garbage collector removed every ConfigMap;
// 6. status collection over 1,000 simulated agents (real HTTP servers on loopback): requests per
//    minute and time per round, with the collector's defaults.
// Usage: USAGE below (also printed by --help).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
import pino from 'pino';
import { gossipClusterCrd } from '../src/operator/api/crd.js';
import { GROUP, PLURAL, VERSION } from '../src/operator/api/gossipcluster-schema.js';
import { startOperator } from '../src/operator/operator.js';
import { DEFAULT_POLL_MAX_AGENTS, DEFAULT_STATUS_INTERVAL_MS } from '../src/operator/status/agent-poller.js';
import { StatusCollector } from '../src/operator/status/status-collector.js';
import { startKubeEnv } from '../test/support/kube-env.js';
import { kubeRaw, putCrd } from '../test/support/kube-raw.js';
import { scriptArgs } from './script-args.js';

const USAGE = 'node --import tsx scripts/bench-operator.ts [--clusters 100] [--updates 200] [--idle-s 60]';
const { values } = scriptArgs(USAGE, {
  options: {
    clusters: { type: 'string', default: '100' },
    updates: { type: 'string', default: '200' },
    'idle-s': { type: 'string', default: '60' },
    agents: { type: 'string', default: '1000' },
  },
});
const N = Number(values.clusters);
const UPDATES = Number(values.updates);
const IDLE_S = Number(values['idle-s']);
const AGENTS = Number(values.agents);
const NS = 'bench';
const FAIL_NS = 'bench-fail';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (s: string) => process.stderr.write(`${s}\n`);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const env = await startKubeEnv({ controllerManager: true });
const out: Record<string, unknown> = { clusters: N };
try {
  const core = env.adminConfig.makeApiClient(CoreV1Api);
  const custom = env.adminConfig.makeApiClient(CustomObjectsApi);
  await putCrd(env, gossipClusterCrd() as { metadata: { name: string } });
  for (let i = 0; i < 50; i++) {
    const r = await kubeRaw(env, 'GET', `/apis/${GROUP}/${VERSION}/${PLURAL}`);
    if (r.status === 200) break;
    await sleep(100);
  }
  for (const name of [NS, FAIL_NS]) await core.createNamespace({ body: { metadata: { name } } });

  // When each ConfigMap last changed (or went away), and when each cluster's status caught up with
  // its generation, as watches see them (the apiserver's view, not a poll's).
  const seen = new Map<string, { at: number; data: string }>();
  const gone = new Set<string>();
  await new Watch(env.adminConfig).watch(
    `/api/v1/namespaces/${NS}/configmaps`,
    {},
    (type, obj: { metadata: { name: string }; data?: Record<string, string> }) => {
      if (type === 'DELETED') gone.add(obj.metadata.name);
      else seen.set(obj.metadata.name, { at: performance.now(), data: obj.data?.['agent.yaml'] ?? '' });
    },
    () => {},
  );
  const statusCaughtUp = new Set<string>();
  await new Watch(env.adminConfig).watch(
    `/apis/${GROUP}/${VERSION}/namespaces/${NS}/${PLURAL}`,
    {},
    (
      _type,
      obj: { metadata: { name: string; generation?: number }; status?: { observedGeneration?: number } },
    ) => {
      if (obj.status?.observedGeneration === obj.metadata.generation) statusCaughtUp.add(obj.metadata.name);
    },
    () => {},
  );

  // Why each status write happened: the reconciler logs what changed (debug, 'writing status').
  let statusReasons: Record<string, number> = {};
  const reasonLog = {
    write(line: string) {
      const l = JSON.parse(line) as { msg?: string; changed?: string[] };
      if (l.msg !== 'writing status') return;
      // Condition fields are summarised by condition (its status, reason and message move together).
      const what = [...new Set((l.changed ?? []).map((c) => c.replace(/\].*$/, ']')))].join(' + ');
      statusReasons[what] = (statusReasons[what] ?? 0) + 1;
    },
  };
  const takeReasons = () => {
    const r = statusReasons;
    statusReasons = {};
    return Object.fromEntries(Object.entries(r).sort(([, a], [, b]) => b - a));
  };
  const op = await startOperator({
    kubeConfig: env.adminConfig,
    http: '127.0.0.1:0',
    leaderElection: null,
    statusIntervalMs: 30_000,
    workers: 2,
    logLevel: 'warn',
    logger: pino({ level: 'debug' }, reasonLog),
    resyncMs: 20_000,
  });
  /** Waits until the operator made no API write for `ms`; the time from the call until then. */
  const quiet = async (ms: number): Promise<number> => {
    const start = performance.now();
    let last = total(await writesByKind());
    let since = performance.now();
    for (;;) {
      await sleep(250);
      const now = total(await writesByKind());
      if (now !== last) [last, since] = [now, performance.now()];
      else if (performance.now() - since >= ms) return since - start;
    }
  };
  const writesByKind = async (): Promise<Record<string, number>> => {
    const text = await op.metrics.metrics();
    const byKey: Record<string, number> = {};
    for (const m of text.matchAll(
      /^grapevine_operator_api_writes_total\{verb="([^"]+)",kind="([^"]+)"\} (\d+)$/gm,
    ))
      byKey[`${m[1]} ${m[2]}`] = Number(m[3]);
    return byKey;
  };
  const diff = (a: Record<string, number>, b: Record<string, number>) => {
    const d: Record<string, number> = {};
    for (const [k, v] of Object.entries(b)) if (v - (a[k] ?? 0) > 0) d[k] = v - (a[k] ?? 0);
    return d;
  };
  const total = (d: Record<string, number>) => Object.values(d).reduce((s, v) => s + v, 0);

  say(`creating ${N} GossipClusters at once`);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: N }, (_, i) =>
      custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: NS,
        plural: PLURAL,
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: 'GossipCluster',
          metadata: { name: `c${i}` },
          spec: {},
        },
      }),
    ),
  );
  while (seen.size < N || statusCaughtUp.size < N) await sleep(20);
  out.create_all_reconciled_s = Number(((performance.now() - t0) / 1000).toFixed(2));
  // Settled: the creations' follow-up writes (each DaemonSet's arrival in the cache, its controller's
  // first status) must not be counted as the updates' writes.
  out.create_settled_s = Number(((await quiet(5_000)) / 1000).toFixed(2));
  out.create_status_write_reasons = takeReasons();

  say(`${UPDATES} spec updates, one at a time`);
  const w0 = await writesByKind();
  const latencies: number[] = [];
  for (let u = 0; u < UPDATES; u++) {
    const i = u % N;
    const value = 1_000 + u + 1;
    const start = performance.now();
    await custom.patchNamespacedCustomObject(
      {
        group: GROUP,
        version: VERSION,
        namespace: NS,
        plural: PLURAL,
        name: `c${i}`,
        body: { spec: { gossip: { probeIntervalMs: value } } },
      },
      mergePatch,
    );
    for (;;) {
      const s = seen.get(`c${i}-agent`);
      if (s?.data.includes(`probeIntervalMs: ${value}`)) {
        latencies.push(s.at - start);
        break;
      }
      await sleep(1);
    }
  }
  await sleep(3_000);
  const updateWrites = diff(w0, await writesByKind());
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!;
  out.updates = UPDATES;
  out.reconcile_latency_ms = {
    p50: Number(pct(50).toFixed(1)),
    p99: Number(pct(99).toFixed(1)),
    max: Number(latencies.at(-1)!.toFixed(1)),
  };
  out.update_api_writes = { total: total(updateWrites), ...updateWrites };
  out.update_status_write_reasons = takeReasons();

  say(`idle for ${IDLE_S} s`);
  const reconciles = async () =>
    [
      ...(await op.metrics.metrics()).matchAll(/^grapevine_operator_reconciles_total\{[^}]*\} (\d+)$/gm),
    ].reduce((n, m) => n + Number(m[1]), 0);
  const idleReconciles0 = await reconciles();
  const i0 = await writesByKind();
  await sleep(IDLE_S * 1000);
  out.idle_s = IDLE_S;
  const idleWrites = diff(i0, await writesByKind());
  out.idle_api_writes = { total: total(idleWrites), ...idleWrites };
  out.idle_status_write_reasons = takeReasons();
  // Reconciles in the idle minute: the periodic recheck (every status interval, 30 s here) of what no
  // informer watches — the Secrets the agents mount — and the informers' resyncs (20 s here).
  out.idle_reconciles = (await reconciles()) - idleReconciles0;

  say(`one permanently failing GossipCluster for ${IDLE_S} s`);
  // No quota controller runs here: the quota's status is written by hand, which admission then enforces.
  const quota = { 'count/daemonsets.apps': '0' };
  await core.createNamespacedResourceQuota({
    namespace: FAIL_NS,
    body: { metadata: { name: 'no-ds' }, spec: { hard: quota } },
  });
  await core.patchNamespacedResourceQuotaStatus(
    {
      name: 'no-ds',
      namespace: FAIL_NS,
      body: { status: { hard: quota, used: { 'count/daemonsets.apps': '0' } } },
    },
    mergePatch,
  );
  const f0 = await writesByKind();
  const errors = async () =>
    Number(/^grapevine_operator_reconcile_errors_total (\d+)$/m.exec(await op.metrics.metrics())?.[1] ?? 0);
  const e0 = await errors();
  await custom.createNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: FAIL_NS,
    plural: PLURAL,
    body: {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'GossipCluster',
      metadata: { name: 'failing' },
      spec: {},
    },
  });
  await sleep(IDLE_S * 1000);
  const failWrites = diff(f0, await writesByKind());
  out.failing_status_write_reasons = takeReasons();
  out.failing_api_writes = {
    total: total(failWrites),
    reconcile_errors: (await errors()) - e0,
    ...failWrites,
  };

  say(`deleting ${N} GossipClusters at once`);
  const d0 = performance.now();
  await Promise.all(
    Array.from({ length: N }, (_, i) =>
      custom.deleteNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace: NS,
        plural: PLURAL,
        name: `c${i}`,
      }),
    ),
  );
  while (gone.size < N) await sleep(20);
  out.delete_all_cleaned_up_s = Number(((performance.now() - d0) / 1000).toFixed(2));
  await op.stop('benchmark done');
} finally {
  await env.stop();
}

say(`status collection over ${AGENTS} simulated agents`);
out.status_collection = await benchStatusCollection(AGENTS, 60_000);
console.log(JSON.stringify(out));

/** A collector with the defaults over `agents` real HTTP servers on loopback, for `ms`. */
async function benchStatusCollection(agents: number, ms: number): Promise<Record<string, number>> {
  const self = JSON.stringify({ name: 'n', state: 'alive', viewDigest: 'd1', ready: true, healthScore: 0 });
  const members = JSON.stringify(
    Array.from({ length: agents }, (_, i) => ({
      name: `n${i}`,
      addr: `10.0.0.${i}:7946`,
      state: 'alive',
      tags: {},
    })),
  );
  let requests = 0;
  const servers: Server[] = [];
  const targets: Array<{ pod: string; url: string }> = [];
  for (let i = 0; i < agents; i++) {
    const server = createServer((req, res) => {
      requests++;
      res.setHeader('content-type', 'application/json');
      res.end(req.url === '/v1/members' ? members : self);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    targets.push({ pod: `agent-${i}`, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  }
  // Rounds every 10 s so one minute holds six of them; per-minute figures are scaled to the default 30 s.
  const intervalMs = 10_000;
  const durations: number[] = [];
  const cpu0 = process.cpuUsage();
  const collector = new StatusCollector({
    intervalMs,
    subject: () => ({ cluster: { metadata: { namespace: 'bench', name: 'big' } }, targets }),
    token: async () => null,
    onChange: () => {},
    onRound: (_key, round) => durations.push(round.durationMs),
  });
  collector.watch('bench/big');
  await sleep(ms);
  collector.stop();
  const cpu = process.cpuUsage(cpu0);
  for (const s of servers) s.close();
  const rounds = durations.length;
  const perRoundRequests = requests / rounds;
  return {
    agents,
    sampled_per_round: DEFAULT_POLL_MAX_AGENTS,
    rounds,
    requests_per_round: Number(perRoundRequests.toFixed(1)),
    requests_per_minute_at_default_interval: Number(
      ((perRoundRequests * 60_000) / DEFAULT_STATUS_INTERVAL_MS).toFixed(1),
    ),
    round_ms_mean: Number((durations.reduce((a, b) => a + b, 0) / rounds).toFixed(1)),
    round_ms_max: Math.max(...durations),
    // Includes the 1,000 simulated agents' own HTTP handling (same process): an upper bound.
    cpu_ms_per_round_upper_bound: Number(((cpu.user + cpu.system) / 1000 / rounds).toFixed(1)),
  };
}
