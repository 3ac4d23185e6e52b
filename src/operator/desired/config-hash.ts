// The pod-template annotation that decides whether a spec change restarts the agents. It hashes
// only what a running agent cannot apply in place (config-diff.ts's RESTART_REQUIRED_FIELDS:
// addresses, identity, cluster name, discovery, API token) plus the keyring's mount path. Tunables,
// tags and the log level change only the ConfigMap, which the kubelet refreshes in the pods and the
// agents hot-reload; anything that changes the hash rolls the DaemonSet.
import { createHash } from 'node:crypto';
import type { AgentConfig } from '../../agent/config/agent-schema.js';
import { RESTART_REQUIRED_FIELDS } from '../../agent/config/config-diff.js';
import { valueAt } from '../../agent/config/config-paths.js';

export function configHash(config: AgentConfig): string {
  const restartRelevant = [
    ...RESTART_REQUIRED_FIELDS.map((path) => [path, valueAt(config, path) ?? null]),
    ['keyringFile', config.keyringFile ?? null],
  ];
  return createHash('sha256').update(JSON.stringify(restartRelevant)).digest('hex').slice(0, 16);
}
