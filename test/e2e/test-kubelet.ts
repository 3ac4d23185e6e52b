// A test "kubelet" (and the two cluster parts a kubelet relies on) for fake Nodes on one machine.
// What it plays, and how, so the e2e can say it:
// - the node lifecycle controller: the not-ready taint of a new Node is lifted once it is Ready;
// - the scheduler: a pending pod is bound (a real Binding) to the node its DaemonSet affinity names,
//   or to the next node in turn;
// - the kubelet: a pod bound to one of its nodes runs as a real process — `grapevine …` for the
//   Grapevine image (its ENTRYPOINT; run through tsx from the source tree), else the container's
//   command — with the pod's env resolved as the downward API does (fieldRef), ConfigMap volumes
//   written to files and refreshed when the ConfigMap changes, Secret volumes written once, and,
//   unless automountServiceAccountToken is false, a real ServiceAccount token (TokenRequest API) + ca.crt + namespace bind-mounted at
//   /var/run/secrets/kubernetes.io/serviceaccount in a private mount namespace (unshare), with
//   KUBERNETES_SERVICE_HOST/PORT pointing at the apiserver. It runs readiness probes (httpGet) and
//   writes the pod status (phase, podIP, Ready); a pod being deleted gets SIGTERM, then its deletion
//   is confirmed; a restartPolicy Never pod ends Succeeded or Failed with its exit code;
// - pod networking: each pod gets its own loopback address (127.X.Y.n), and a wildcard address in
//   its args or mounted config (0.0.0.0:port) becomes that address, as a pod's own network
//   namespace would make it;
// - kube-proxy/cluster DNS for service links: `<SVC>_SERVICE_HOST/PORT` point at a ready endpoint
//   pod of the Service (there is no ClusterIP routing), and a DNS server answers the Services' FQDNs
//   with their pods' addresses (GRAPEVINE_DNS_SERVERS is how the agent is told to use it).
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Container,
  type V1Pod,
  type V1Service,
} from '@kubernetes/client-node';

import { registerExitCleanup } from '../support/kube-env-process.js';

const CLI = fileURLToPath(new URL('../../cmd/grapevine.ts', import.meta.url));
export const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface KubeletOptions {
  kubeConfig: KubeConfig;
  /** https://127.0.0.1:PORT of the apiserver; its CA. */
  apiserver: { host: string; port: number; caPem: string };
  nodes: string[];
  /** Pod addresses are `${subnet}.${n}` (e.g. 127.23.7). */
  subnet: string;
  /** Where pod dirs (config files, tokens, logs) go. */
  dir: string;
  /** Images that are the Grapevine image (their entry point is the grapevine CLI). */
  grapevineImages: (image: string) => boolean;
  /** host:port of the DNS server that plays cluster DNS (passed to agents). */
  dnsServer?: string;
  pollMs?: number;
}

interface RunningPod {
  uid: string;
  name: string;
  namespace: string;
  node: string;
  ip: string;
  proc: ChildProcess;
  dir: string;
  ready: boolean;
  exited: boolean;
  exitCode: number | null;
  logs: string[];
  configMaps: Map<string, string>; // ConfigMap name → resourceVersion written
  stopping: boolean;
  restartNever: boolean;
}

export class TestKubelet {
  private readonly core: CoreV1Api;
  readonly pods = new Map<string, RunningPod>(); // by uid
  private readonly failedNodes = new Set<string>();
  private nextIp = 1;
  private nextNode = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private stopped = false;
  readonly errors: string[] = [];

  constructor(private readonly o: KubeletOptions) {
    this.core = o.kubeConfig.makeApiClient(CoreV1Api);
    mkdirSync(SA_DIR, { recursive: true }); // the mount point; empty on the host
  }

  /** Registers the Nodes (Ready) and starts syncing. */
  async start(): Promise<void> {
    for (const name of this.o.nodes) {
      await this.core.createNode({
        body: { metadata: { name, labels: { 'kubernetes.io/hostname': name } } },
      });
      await this.core.patchNodeStatus(
        {
          name,
          body: {
            status: {
              conditions: [
                {
                  type: 'Ready',
                  status: 'True',
                  reason: 'KubeletReady',
                  lastHeartbeatTime: new Date(),
                  lastTransitionTime: new Date(),
                },
              ],
              addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
              allocatable: { cpu: '8', memory: '16Gi', pods: '110' },
              capacity: { cpu: '8', memory: '16Gi', pods: '110' },
            },
          },
        },
        MERGE,
      );
      // The apiserver taints a new Node not-ready; the node lifecycle controller lifts the taint once
      // the kubelet reports Ready. That controller does not run here: lift it as it would.
      await this.core.patchNode({ name, body: { spec: { taints: null } } }, MERGE);
    }
    const tick = async () => {
      if (this.stopped) return;
      if (!this.busy) {
        this.busy = true;
        try {
          await this.sync();
        } catch (err) {
          this.errors.push(String(err));
        } finally {
          this.busy = false;
        }
      }
      if (!this.stopped) this.timer = setTimeout(tick, this.o.pollMs ?? 300);
    };
    await tick();
  }

  /** The node is lost: its processes are SIGKILLed and nothing on it is synced again. */
  failNode(node: string): void {
    this.failedNodes.add(node);
    for (const p of this.pods.values()) if (p.node === node && !p.exited) p.proc.kill('SIGKILL');
  }

  runningOn(node: string): RunningPod[] {
    return [...this.pods.values()].filter((p) => p.node === node && !p.exited);
  }

  podByName(namespace: string, name: string): RunningPod | undefined {
    return [...this.pods.values()].find((p) => p.namespace === namespace && p.name === name);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 50));
    await Promise.all([...this.pods.values()].map((p) => this.kill(p)));
  }

  private async kill(p: RunningPod, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (p.exited) return;
    p.stopping = true;
    p.proc.kill(signal);
    const timer = setTimeout(() => p.proc.kill('SIGKILL'), 10_000);
    await new Promise<void>((r) => (p.exited ? r() : p.proc.once('exit', () => r())));
    clearTimeout(timer);
  }

  private async sync(): Promise<void> {
    const all = (await this.core.listPodForAllNamespaces()).items;
    const seen = new Set<string>();
    // Terminations run in parallel (an agent takes up to 5 s to leave), like the kubelet's pod workers.
    const terminations: Promise<void>[] = [];
    for (const pod of all) {
      const uid = pod.metadata!.uid!;
      seen.add(uid);
      const node = pod.spec?.nodeName;
      if (!node) {
        await this.schedule(pod);
        continue;
      }
      if (!this.o.nodes.includes(node) || this.failedNodes.has(node)) continue;
      const running = this.pods.get(uid);
      if (pod.metadata?.deletionTimestamp) {
        terminations.push(this.terminate(pod, running));
        continue;
      }
      if (!running) {
        await this.run(pod, node);
        continue;
      }
      await this.refreshConfigMaps(pod, running);
      await this.reportStatus(pod, running);
    }
    // Pods deleted outright (grace 0 by someone else): stop their processes.
    for (const p of [...this.pods.values()]) {
      if (!seen.has(p.uid) && !this.failedNodes.has(p.node)) {
        terminations.push(this.kill(p).then(() => this.cleanup(p)));
      }
    }
    await Promise.all(terminations);
  }

  /** SIGTERM (then SIGKILL after 10 s), then confirms the deletion as the kubelet does (grace 0). */
  private async terminate(pod: V1Pod, running: RunningPod | undefined): Promise<void> {
    if (running) await this.kill(running);
    await this.core
      .deleteNamespacedPod({
        name: pod.metadata!.name!,
        namespace: pod.metadata!.namespace!,
        gracePeriodSeconds: 0,
      })
      .catch(() => undefined);
    if (running) this.cleanup(running);
  }

  private cleanup(p: RunningPod): void {
    this.pods.delete(p.uid);
    rmSync(p.dir, { recursive: true, force: true });
  }

  /** Plays the scheduler: DaemonSet pods carry a required node affinity on metadata.name. */
  private async schedule(pod: V1Pod): Promise<void> {
    if (pod.metadata?.deletionTimestamp) {
      await this.core
        .deleteNamespacedPod({
          name: pod.metadata.name!,
          namespace: pod.metadata.namespace!,
          gracePeriodSeconds: 0,
        })
        .catch(() => undefined);
      return;
    }
    const terms =
      pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    const wanted = terms
      ?.flatMap((t) => t.matchFields ?? [])
      .find((f) => f.key === 'metadata.name' && f.operator === 'In')?.values?.[0];
    const live = this.o.nodes.filter((n) => !this.failedNodes.has(n));
    const node = wanted ?? live[this.nextNode++ % live.length];
    if (!node || !this.o.nodes.includes(node)) return;
    await this.core.createNamespacedBinding({
      namespace: pod.metadata!.namespace!,
      body: {
        metadata: { name: pod.metadata!.name! },
        target: { apiVersion: 'v1', kind: 'Node', name: node },
      },
    });
  }

  private podIp(): string {
    return `${this.o.subnet}.${this.nextIp++}`;
  }

  private async run(pod: V1Pod, node: string): Promise<void> {
    const ns = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    const uid = pod.metadata!.uid!;
    const container = pod.spec!.containers[0]!;
    const ip = this.podIp();
    const dir = join(this.o.dir, `${ns}_${name}_${uid.slice(0, 8)}`);
    mkdirSync(dir, { recursive: true });
    const configMaps = new Map<string, string>();
    const mounts: Array<{ source: string; target: string }> = [];
    const volumeDirs = new Map<string, string>();
    for (const v of pod.spec?.volumes ?? []) {
      const vdir = join(dir, 'volumes', v.name);
      mkdirSync(vdir, { recursive: true });
      volumeDirs.set(v.name, vdir);
    }
    await this.writeVolumes(pod, dir, ip, configMaps);
    for (const m of container.volumeMounts ?? []) {
      const source = volumeDirs.get(m.name);
      if (source) mounts.push({ source, target: m.mountPath });
    }
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      HOSTNAME: name,
      KUBERNETES_SERVICE_HOST: this.o.apiserver.host,
      KUBERNETES_SERVICE_PORT: String(this.o.apiserver.port),
      ...(await this.serviceLinks(ns)),
      ...(this.o.dnsServer ? { GRAPEVINE_DNS_SERVERS: this.o.dnsServer } : {}),
    };
    for (const e of container.env ?? []) {
      if (e.value !== undefined) env[e.name] = e.value;
      const path = e.valueFrom?.fieldRef?.fieldPath;
      if (path) env[e.name] = fieldValue(pod, path, node, ip);
    }
    if (pod.spec?.automountServiceAccountToken !== false) {
      const saDir = join(dir, 'serviceaccount');
      mkdirSync(saDir, { recursive: true });
      // A real bound token from the TokenRequest API, as the kubelet's projected volume holds.
      const token = await this.core.createNamespacedServiceAccountToken({
        name: pod.spec?.serviceAccountName ?? 'default',
        namespace: ns,
        body: {
          spec: {
            audiences: [],
            expirationSeconds: 3600,
            boundObjectRef: { kind: 'Pod', name, uid, apiVersion: 'v1' },
          },
        },
      });
      writeFileSync(join(saDir, 'token'), token.status?.token ?? '');
      writeFileSync(join(saDir, 'ca.crt'), this.o.apiserver.caPem);
      writeFileSync(join(saDir, 'namespace'), ns);
      mounts.push({ source: saDir, target: SA_DIR });
    }
    const wildcard = (s: string) => s.replaceAll('0.0.0.0:', `${ip}:`);
    const args = (container.args ?? []).map(wildcard);
    const argv =
      this.o.grapevineImages(container.image ?? '') && !container.command
        ? [process.execPath, '--import', 'tsx', CLI, ...args]
        : [...(container.command ?? []).map((c) => (c === 'node' ? process.execPath : c)), ...args];
    // A private mount namespace: the volumes appear at their mountPath for this process only.
    const script = [
      ...mounts.map((_, i) => `mkdir -p "$M${i}" 2>/dev/null; mount --bind "$S${i}" "$M${i}" || exit 97`),
      'exec "$@"',
    ].join('\n');
    const mountEnv: Record<string, string> = {};
    mounts.forEach((m, i) => {
      mountEnv[`S${i}`] = m.source;
      mountEnv[`M${i}`] = m.target;
    });
    const proc = spawn(
      'unshare',
      ['--mount', '--propagation', 'private', 'sh', '-c', script, 'pod', ...argv],
      {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        env: { ...env, ...mountEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const p: RunningPod = {
      uid,
      name,
      namespace: ns,
      node,
      ip,
      proc,
      dir,
      ready: false,
      exited: false,
      exitCode: null,
      logs: [],
      configMaps,
      stopping: false,
      restartNever: pod.spec?.restartPolicy === 'Never',
    };
    // Container logs, kept after the pod is gone (as `kubectl logs --previous` would show them).
    const logFile = createWriteStream(join(this.o.dir, `${ns}_${name}.log`), { flags: 'a' });
    proc.stdout?.pipe(logFile);
    proc.stderr?.pipe(logFile);
    const keep = (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line) p.logs.push(line);
      if (p.logs.length > 2_000) p.logs.splice(0, p.logs.length - 2_000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.on('exit', (code) => {
      p.exited = true;
      p.exitCode = code;
    });
    this.pods.set(uid, p);
    // An interrupted test run must not leave pod processes behind.
    const unregister = registerExitCleanup(() => proc.kill('SIGKILL'));
    proc.once('exit', () => unregister());
    this.labels.set(uid, pod.metadata?.labels ?? {});
    this.namedPorts.set(
      uid,
      Object.fromEntries(
        (container.ports ?? []).filter((q) => q.name).map((q) => [q.name!, q.containerPort]),
      ),
    );
    await this.core.patchNamespacedPodStatus(
      {
        name,
        namespace: ns,
        body: {
          status: {
            phase: 'Running',
            podIP: ip,
            podIPs: [{ ip }],
            hostIP: '127.0.0.1',
            startTime: new Date(),
            conditions: [
              { type: 'PodScheduled', status: 'True' },
              { type: 'Ready', status: 'False' },
              { type: 'ContainersReady', status: 'False' },
            ],
          },
        },
      },
      MERGE,
    );
  }

  /**
   * ConfigMap and Secret volumes (plain or projected), with the pod's wildcard address made its own in
   * ConfigMap text. ConfigMaps are refreshed when they change (hot reload); Secrets are written once.
   */
  private async writeVolumes(
    pod: V1Pod,
    dir: string,
    ip: string,
    written: Map<string, string>,
  ): Promise<void> {
    const ns = pod.metadata!.namespace!;
    const put = (volume: string, path: string, data: string | Buffer) => {
      const file = join(dir, 'volumes', volume, path);
      mkdirSync(join(file, '..'), { recursive: true });
      // Written to a temp name and renamed, as the kubelet's atomic writer swaps the files.
      writeFileSync(`${file}.tmp`, data);
      renameSync(`${file}.tmp`, file);
    };
    for (const v of pod.spec?.volumes ?? []) {
      const sources = [
        ...(v.configMap ? [{ configMap: v.configMap }] : []),
        ...(v.secret ? [{ secret: { name: v.secret.secretName, items: v.secret.items } }] : []),
        ...(v.projected?.sources ?? []).filter((s) => s.configMap || s.secret),
      ];
      for (const s of sources) {
        if (s.secret) {
          const ref = s.secret;
          const secret = await this.core
            .readNamespacedSecret({ name: ref.name!, namespace: ns })
            .catch(() => undefined);
          if (!secret) continue;
          const items = ref.items ?? Object.keys(secret.data ?? {}).map((k) => ({ key: k, path: k }));
          for (const item of items) {
            const b64 = secret.data?.[item.key];
            if (b64 !== undefined) put(v.name, item.path, Buffer.from(b64, 'base64'));
          }
          continue;
        }
        const ref = s.configMap!;
        const cm = await this.core
          .readNamespacedConfigMap({ name: ref.name!, namespace: ns })
          .catch(() => undefined);
        if (!cm) continue; // not there yet: a later sync writes it
        const items = ref.items ?? Object.keys(cm.data ?? {}).map((k) => ({ key: k, path: k }));
        for (const item of items) {
          const text = cm.data?.[item.key];
          if (text !== undefined) put(v.name, item.path, text.replaceAll('0.0.0.0:', `${ip}:`));
        }
        written.set(ref.name!, cm.metadata?.resourceVersion ?? '');
      }
    }
  }

  private async refreshConfigMaps(pod: V1Pod, p: RunningPod): Promise<void> {
    if (p.exited) return;
    for (const [name, version] of p.configMaps) {
      const cm = await this.core
        .readNamespacedConfigMap({ name, namespace: p.namespace })
        .catch(() => undefined);
      if (cm && cm.metadata?.resourceVersion !== version) {
        await this.writeVolumes(pod, p.dir, p.ip, p.configMaps);
        return;
      }
    }
  }

  private async reportStatus(pod: V1Pod, p: RunningPod): Promise<void> {
    const container = pod.spec!.containers[0]!;
    if (p.exited && !p.stopping) {
      if (p.restartNever) {
        const phase = p.exitCode === 0 ? 'Succeeded' : 'Failed';
        if (pod.status?.phase !== phase)
          await this.patchStatus(p, { phase, conditions: [{ type: 'Ready', status: 'False' }] });
      }
      return;
    }
    const ready = await probe(container, p.ip);
    if (ready !== p.ready || pod.status?.podIP !== p.ip) {
      p.ready = ready;
      const status = ready ? 'True' : 'False';
      await this.patchStatus(p, {
        phase: 'Running',
        podIP: p.ip,
        podIPs: [{ ip: p.ip }],
        conditions: [
          { type: 'PodScheduled', status: 'True' },
          { type: 'Ready', status, lastTransitionTime: new Date() },
          { type: 'ContainersReady', status, lastTransitionTime: new Date() },
        ],
        containerStatuses: [
          {
            name: container.name,
            image: container.image ?? '',
            imageID: '',
            ready,
            restartCount: 0,
            started: true,
            state: { running: { startedAt: new Date() } },
          },
        ],
      });
    }
  }

  private async patchStatus(p: RunningPod, status: Record<string, unknown>): Promise<void> {
    await this.core.patchNamespacedPodStatus(
      { name: p.name, namespace: p.namespace, body: { status } },
      MERGE,
    );
  }

  /** `<SVC>_SERVICE_HOST/PORT` of every Service in the namespace, at a ready pod of the Service. */
  private async serviceLinks(ns: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const services = (await this.core.listNamespacedService({ namespace: ns })).items;
    for (const svc of services) {
      const target = this.endpointOf(svc);
      if (!target) continue;
      const key = svc.metadata!.name!.toUpperCase().replaceAll('-', '_');
      out[`${key}_SERVICE_HOST`] = target.ip;
      out[`${key}_SERVICE_PORT`] = String(target.port);
    }
    return out;
  }

  private endpointOf(svc: V1Service): { ip: string; port: number } | undefined {
    const sel = svc.spec?.selector ?? {};
    const port = svc.spec?.ports?.[0];
    if (!port) return undefined;
    for (const p of this.pods.values()) {
      if (!p.ready || p.exited || p.namespace !== svc.metadata?.namespace) continue;
      const labels = this.labels.get(p.uid) ?? {};
      if (!Object.entries(sel).every(([k, v]) => labels[k] === v)) continue;
      const target =
        typeof port.targetPort === 'number'
          ? port.targetPort
          : (this.namedPorts.get(p.uid)?.[String(port.targetPort ?? port.port)] ?? port.port);
      return { ip: p.ip, port: target };
    }
    return undefined;
  }

  // Filled when a pod starts, for service links.
  private readonly labels = new Map<string, Record<string, string>>();
  private readonly namedPorts = new Map<string, Record<string, number>>();
}

function fieldValue(pod: V1Pod, path: string, node: string, ip: string): string {
  switch (path) {
    case 'metadata.name':
      return pod.metadata!.name!;
    case 'metadata.namespace':
      return pod.metadata!.namespace!;
    case 'metadata.uid':
      return pod.metadata!.uid!;
    case 'spec.nodeName':
      return node;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? 'default';
    case 'status.podIP':
      return ip;
    case 'status.hostIP':
      return '127.0.0.1';
    default:
      throw new Error(`test kubelet: fieldRef ${path} is not supported`);
  }
}

/** The container's readiness probe (httpGet only); no probe: ready once started. */
async function probe(c: V1Container, ip: string): Promise<boolean> {
  const get = c.readinessProbe?.httpGet;
  if (!get) return true;
  const port =
    typeof get.port === 'number'
      ? get.port
      : c.ports?.find((p) => p.name === get.port && p.protocol !== 'UDP')?.containerPort;
  try {
    const res = await fetch(`http://${ip}:${port}${get.path ?? '/'}`, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}
