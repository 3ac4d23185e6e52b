// Operator benchmark on a real kube-apiserver (the test control plane, see scripts/build-testbin.sh):
// reconcile latency (spec change of a GossipCluster → its ConfigMap updated, seen on a watch) with
// 100 GossipClusters, then the API writes the operator makes while idle for 60 s. Informers resync
// every 20 s here, so idle resyncs happen inside the window and must cost no writes either.
// Usage: node --import tsx scripts/bench-operator.ts [--clusters 100] [--idle-s 60]
import { parseArgs } from 'node:util';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, Watch } from '@kubernetes/client-node';
import pino from 'pino';
import { gossipClusterCrd } from '../src/operator/api/crd.js';
import { GROUP, PLURAL, VERSION } from '../src/operator/api/gossipcluster-schema.js';
import { startOperator } from '../src/operator/operator.js';
import { startKubeEnv } from '../test/support/kube-env.js';
import { kubeRaw, putCrd } from '../test/support/kube-raw.js';

const { values } = parseArgs({
  options: { clusters: { type: 'string', default: '100' }, 'idle-s': { type: 'string', default: '60' } },
});
const N = Number(values.clusters);
const IDLE_S = Number(values['idle-s']);
const NS = 'bench';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (s: string) => process.stderr.write(`${s}\n`);

const env = await startKubeEnv({ controllerManager: false });
try {
  const core = env.adminConfig.makeApiClient(CoreV1Api);
  const custom = env.adminConfig.makeApiClient(CustomObjectsApi);
  await putCrd(env, gossipClusterCrd() as { metadata: { name: string } });
  for (let i = 0; i < 50; i++) {
    const r = await kubeRaw(env, 'GET', `/apis/${GROUP}/${VERSION}/${PLURAL}`);
    if (r.status === 200) break;
    await sleep(100);
  }
  await core.createNamespace({ body: { metadata: { name: NS } } });

  // When each ConfigMap last changed, as a watch sees it (the apiserver's view, not a poll's).
  const seen = new Map<string, { at: number; data: string }>();
  await new Watch(env.adminConfig).watch(
    `/api/v1/namespaces/${NS}/configmaps`,
    {},
    (_type, obj: { metadata: { name: string }; data?: Record<string, string> }) => {
      seen.set(obj.metadata.name, { at: performance.now(), data: obj.data?.['agent.yaml'] ?? '' });
    },
    () => {},
  );

  const op = await startOperator({
    kubeConfig: env.adminConfig,
    http: '127.0.0.1:0',
    leaderElection: null,
    statusIntervalMs: 30_000,
    workers: 2,
    logLevel: 'warn',
    logger: pino({ level: 'warn' }),
    resyncMs: 20_000,
  });
  say(`creating ${N} GossipClusters`);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    await custom.createNamespacedCustomObject({
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
    });
  }
  while (seen.size < N) await sleep(20);
  const createAllS = (performance.now() - t0) / 1000;
  await sleep(3_000);

  say('measuring reconcile latency (one spec change at a time)');
  const latencies: number[] = [];
  for (let i = 0; i < N; i++) {
    const value = 1_000 + i + 1;
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
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
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
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]!;

  say(`idle for ${IDLE_S} s`);
  await sleep(5_000);
  const before = await op.metrics.apiWritesTotal();
  await sleep(IDLE_S * 1000);
  const idleWrites = (await op.metrics.apiWritesTotal()) - before;
  await op.stop('benchmark done');
  console.log(
    JSON.stringify({
      clusters: N,
      create_all_s: Number(createAllS.toFixed(2)),
      reconcile_latency_ms: {
        p50: Number(pct(50).toFixed(1)),
        p99: Number(pct(99).toFixed(1)),
        max: Number(latencies.at(-1)!.toFixed(1)),
      },
      idle_s: IDLE_S,
      idle_api_writes: idleWrites,
    }),
  );
} finally {
  await env.stop();
}
