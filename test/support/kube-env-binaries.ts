// Where the control-plane binaries are, following controller-runtime's envtest conventions:
// a per-binary TEST_ASSET_<NAME> wins, then the KUBEBUILDER_ASSETS directory, then the cache
// that scripts/build-testbin.sh fills.
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const KUBE_VERSION = 'v1.31.4';

export const BUILD_HINT = 'bash scripts/build-testbin.sh';

export interface KubeBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
}

export type BinaryKey = keyof KubeBinaries;

const FILE_NAMES: Record<BinaryKey, string> = {
  etcd: 'etcd',
  kubeApiserver: 'kube-apiserver',
  kubeControllerManager: 'kube-controller-manager',
};

const ENV_OVERRIDES: Record<BinaryKey, string> = {
  etcd: 'TEST_ASSET_ETCD',
  kubeApiserver: 'TEST_ASSET_KUBE_APISERVER',
  kubeControllerManager: 'TEST_ASSET_KUBE_CONTROLLER_MANAGER',
};

/** The directory scripts/build-testbin.sh builds into. */
export function testbinCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.GRAPEVINE_CACHE || join(homedir(), '.cache', 'grapevine');
  return join(root, 'testbin', KUBE_VERSION);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export const ALL_BINARIES: readonly BinaryKey[] = ['etcd', 'kubeApiserver', 'kubeControllerManager'];

export type BinaryLookup<K extends BinaryKey> =
  | { ok: true; binaries: Pick<KubeBinaries, K> }
  | { ok: false; missing: string[]; message: string };

/**
 * Resolves the binaries in `need` (all three by default: envtest's own asset bundles lack
 * kube-controller-manager, so callers that don't need the garbage collector can ask for less),
 * or reports which are missing and how to build them.
 */
export function findKubeBinaries<K extends BinaryKey = BinaryKey>(
  need: readonly K[] = ALL_BINARIES as readonly K[],
  env: NodeJS.ProcessEnv = process.env,
): BinaryLookup<K> {
  const found: Partial<Record<BinaryKey, string>> = {};
  const missing: string[] = [];
  for (const key of need) {
    const candidates: string[] = [];
    const override = env[ENV_OVERRIDES[key]];
    if (override) candidates.push(override);
    if (env.KUBEBUILDER_ASSETS) candidates.push(join(env.KUBEBUILDER_ASSETS, FILE_NAMES[key]));
    candidates.push(join(testbinCacheDir(env), FILE_NAMES[key]));
    const hit = candidates.find(isExecutable);
    if (hit) found[key] = hit;
    else missing.push(`${FILE_NAMES[key]} (looked at ${candidates.join(', ')})`);
  }
  if (missing.length > 0) {
    return {
      ok: false,
      missing,
      message:
        `Kubernetes ${KUBE_VERSION} test binaries not found: ${missing.join('; ')}. ` +
        `Build them once with \`${BUILD_HINT}\` (cached in ${testbinCacheDir(env)}), ` +
        'or set KUBEBUILDER_ASSETS / TEST_ASSET_ETCD / TEST_ASSET_KUBE_APISERVER / TEST_ASSET_KUBE_CONTROLLER_MANAGER.',
    };
  }
  // Every key in `need` was found (missing is empty), so the partial record is complete for K.
  return { ok: true, binaries: found as Pick<KubeBinaries, K> };
}
