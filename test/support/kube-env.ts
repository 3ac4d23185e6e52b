// A real Kubernetes control plane for tests: etcd + kube-apiserver (+ kube-controller-manager
// running only the garbage collector, so ownerReference cascades really happen), on loopback,
// with RBAC on and static bearer-token users. No kubelet, no scheduler: nothing runs pods.
// Binaries come from scripts/build-testbin.sh (see kube-env-binaries.ts).
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { type BinaryKey, findKubeBinaries } from './kube-env-binaries.js';
import { makeKubeCerts } from './kube-env-certs.js';
import { kubeConfigFor } from './kube-env-kubeconfig.js';
import { freeLoopbackPorts } from './kube-env-ports.js';
import { ManagedProcess, registerExitCleanup, waitUntil } from './kube-env-process.js';

export interface KubeEnvUser {
  name: string;
  groups?: string[];
}

export interface KubeEnvOptions {
  /** Users to put in the static token file (it cannot change once the apiserver runs). */
  users?: KubeEnvUser[];
  /** Start kube-controller-manager with only the garbage collector (default true). */
  controllerManager?: boolean;
  /** Extra kube-apiserver flags (e.g. feature gates). */
  apiserverArgs?: string[];
  /** Per-component startup timeout (default 60 s; the machines have 2 cores). */
  startTimeoutMs?: number;
  /** Keep the temp dir (certs, logs, etcd data) after stop(); also via KUBE_ENV_KEEP=1. */
  keepTempDir?: boolean;
}

/** Milliseconds each step took, for reports and to notice slow machines. */
export interface KubeEnvTimings {
  certs: number;
  etcdReady: number;
  apiserverReady: number;
  /** Until the garbage collector logged that all its resource monitors synced. */
  controllerManagerReady?: number;
  /** The last restartApiserver(), from stop to ready. */
  apiserverRestart?: number;
}

export interface KubeEnv {
  /** https://127.0.0.1:<port> */
  server: string;
  caPem: string;
  adminToken: string;
  /** A user in system:masters. */
  adminConfig: KubeConfig;
  configFor(token: string): KubeConfig;
  /** The token of a user declared in startKubeEnv({ users }). */
  userToken(name: string): string;
  /** Writes a kubeconfig file for `token` (default: admin) into the temp dir; returns its path. */
  kubeconfigFile(token?: string): string;
  tempDir: string;
  timings: KubeEnvTimings;
  /**
   * Stops kube-apiserver and starts it again on the same port with the same etcd. `crash: true`
   * SIGKILLs it instead of a SIGTERM (clients see connections reset rather than closed).
   */
  restartApiserver(opts?: { crash?: boolean }): Promise<void>;
  /**
   * SIGKILLs etcd, keeps it down for `downMs`, starts it again on the same ports and data, and waits
   * until it is healthy and the apiserver answers /readyz again (a control-plane outage).
   */
  killEtcd(opts: { downMs: number }): Promise<void>;
  stop(): Promise<void>;
}

// After SIGTERM kube-apiserver stops serving at once but then lingers (waiting on long-running
// requests such as the controller-manager's watches) until killed: measured 5 s+ here. Nothing
// of ours needs that drain, and a restart test wants the outage short.
const APISERVER_STOP_GRACE_MS = 1_000;

// The static token file's CSV has no escaping we want to rely on.
const SAFE_NAME = /^[A-Za-z0-9:@._-]+$/;

function newToken(): string {
  return randomBytes(24).toString('hex');
}

function tokenFileLine(token: string, user: string, groups: string[]): string {
  for (const s of [user, ...groups]) {
    if (!SAFE_NAME.test(s))
      throw new Error(`kube-env: user/group name ${JSON.stringify(s)} must match ${SAFE_NAME}`);
  }
  return `${token},${user},uid-${user}${groups.length ? `,"${groups.join(',')}"` : ''}`;
}

/** HTTP status of a GET over TLS checked against `caPem`; 0 if the connection fails. */
function httpsStatus(url: string, caPem: string, token: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { ca: caPem, headers: { authorization: `Bearer ${token}` }, timeout: 2_000 },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

async function etcdHealthy(clientUrl: string): Promise<boolean> {
  const res = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(2_000) });
  const body = (await res.json()) as { health?: string };
  return res.ok && body.health === 'true';
}

export async function startKubeEnv(opts: KubeEnvOptions = {}): Promise<KubeEnv> {
  const withKcm = opts.controllerManager ?? true;
  const timeoutMs = opts.startTimeoutMs ?? 60_000;
  const keep = opts.keepTempDir ?? Boolean(process.env.KUBE_ENV_KEEP);
  const need: BinaryKey[] = withKcm
    ? ['etcd', 'kubeApiserver', 'kubeControllerManager']
    : ['etcd', 'kubeApiserver'];
  const lookup = findKubeBinaries(need);
  if (!lookup.ok) throw new Error(lookup.message);
  const bins = lookup.binaries;

  const tempDir = await mkdtemp(join(tmpdir(), 'grapevine-kube-'));
  // If the test process dies without stop(), don't leave etcd's data behind.
  const unregisterCleanup = registerExitCleanup(() =>
    rmSync(keep ? join(tempDir, 'etcd-data') : tempDir, { recursive: true, force: true }),
  );
  const processes: ManagedProcess[] = [];
  const stopAll = async (): Promise<void> => {
    for (const p of [...processes].reverse()) await p.stop();
  };

  try {
    let t = Date.now();
    const certs = await makeKubeCerts(tempDir);
    const timings: KubeEnvTimings = { certs: Date.now() - t, etcdReady: 0, apiserverReady: 0 };

    const adminToken = newToken();
    const userTokens = new Map<string, string>();
    const lines = [tokenFileLine(adminToken, 'grapevine-test-admin', ['system:masters'])];
    for (const u of opts.users ?? []) {
      if (userTokens.has(u.name)) throw new Error(`kube-env: user ${u.name} declared twice`);
      const token = newToken();
      userTokens.set(u.name, token);
      lines.push(tokenFileLine(token, u.name, u.groups ?? []));
    }
    const tokenFile = join(tempDir, 'tokens.csv');
    await writeFile(tokenFile, `${lines.join('\n')}\n`, { mode: 0o600 });

    const [etcdClientPort, etcdPeerPort, apiPort] = await freeLoopbackPorts(3);
    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    const server = `https://127.0.0.1:${apiPort}`;

    t = Date.now();
    const etcd = new ManagedProcess(
      'etcd',
      bins.etcd,
      () => [
        '--name=default',
        `--data-dir=${join(tempDir, 'etcd-data')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=default=${peerUrl}`,
        // Test data is throwaway: skipping fsync makes every write several times faster.
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      join(tempDir, 'etcd.log'),
    );
    processes.push(etcd);
    etcd.start();
    await waitUntil(etcd, 'healthy', timeoutMs, () => etcdHealthy(etcdUrl));
    timings.etcdReady = Date.now() - t;

    const apiserver = new ManagedProcess(
      'kube-apiserver',
      bins.kubeApiserver,
      () => [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${tempDir}`,
        `--tls-cert-file=${certs.servingCert}`,
        `--tls-private-key-file=${certs.servingKey}`,
        `--client-ca-file=${certs.caCert}`,
        `--token-auth-file=${tokenFile}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${certs.saPub}`,
        `--service-account-signing-key-file=${certs.saKey}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--authorization-mode=RBAC',
        // No controller creates the per-namespace service accounts this plugin insists on.
        '--disable-admission-plugins=ServiceAccount',
        '--allow-privileged=true',
        '--profiling=false',
        ...(opts.apiserverArgs ?? []),
      ],
      join(tempDir, 'kube-apiserver.log'),
      APISERVER_STOP_GRACE_MS,
    );
    const waitApiserverReady = (): Promise<void> =>
      waitUntil(apiserver, 'ready (/readyz)', timeoutMs, async () => {
        return (await httpsStatus(`${server}/readyz`, certs.caPem, adminToken)) === 200;
      });
    t = Date.now();
    processes.push(apiserver);
    apiserver.start();
    await waitApiserverReady();
    timings.apiserverReady = Date.now() - t;

    const adminConfig = kubeConfigFor(server, certs.caPem, adminToken, 'grapevine-test-admin');
    let kubeconfigCount = 0;
    const kubeconfigFile = (token = adminToken): string => {
      const path = join(tempDir, `kubeconfig-${++kubeconfigCount}.yaml`);
      writeFileSync(path, kubeConfigFor(server, certs.caPem, token).exportConfig(), { mode: 0o600 });
      return path;
    };

    if (withKcm && bins.kubeControllerManager) {
      const kcmKubeconfig = kubeconfigFile(adminToken);
      const kcm = new ManagedProcess(
        'kube-controller-manager',
        bins.kubeControllerManager,
        () => [
          `--kubeconfig=${kcmKubeconfig}`,
          '--controllers=garbagecollector',
          '--use-service-account-credentials=false',
          '--leader-elect=false',
          // No HTTPS endpoint: nothing scrapes it, and it would need delegated authn setup.
          '--secure-port=0',
        ],
        join(tempDir, 'kube-controller-manager.log'),
      );
      t = Date.now();
      processes.push(kcm);
      kcm.start();
      // The collector only acts once every resource monitor has synced; before that a deleted
      // owner's dependents would linger and a test would race it.
      await waitUntil(kcm, 'ready (garbage collector synced)', timeoutMs, () =>
        kcm.logTail(200).includes('All resource monitors have synced'),
      );
      timings.controllerManagerReady = Date.now() - t;
    }

    let stopped = false;
    return {
      server,
      caPem: certs.caPem,
      adminToken,
      adminConfig,
      configFor: (token) => kubeConfigFor(server, certs.caPem, token),
      userToken(name) {
        const token = userTokens.get(name);
        if (!token) {
          throw new Error(
            `kube-env: no user ${name}; declare it in startKubeEnv({ users: [{ name: '${name}' }] }) (the token file is static)`,
          );
        }
        return token;
      },
      kubeconfigFile,
      tempDir,
      timings,
      async restartApiserver({ crash = false } = {}) {
        const start = Date.now();
        await apiserver.stop(crash ? 0 : undefined);
        apiserver.start();
        await waitApiserverReady();
        timings.apiserverRestart = Date.now() - start;
      },
      async killEtcd({ downMs }) {
        await etcd.stop(0);
        await new Promise((r) => setTimeout(r, downMs));
        etcd.start();
        await waitUntil(etcd, 'healthy', timeoutMs, () => etcdHealthy(etcdUrl));
        await waitApiserverReady();
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await stopAll();
        unregisterCleanup();
        if (!keep) await rm(tempDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopAll();
    // Keep the logs named in the error, drop etcd's (large, preallocated) data.
    unregisterCleanup();
    await rm(join(tempDir, 'etcd-data'), { recursive: true, force: true });
    throw err;
  }
}
