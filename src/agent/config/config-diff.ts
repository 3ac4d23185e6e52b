// Which fields changed between two resolved configs, split into those a running agent applies in
// place and those that need a restart (sockets, identity, the cluster it belongs to).
import type { AgentConfig } from './agent-schema.js';
import { fieldPaths, sameValue, valueAt } from './config-paths.js';

/** Fields that only take effect on restart; everything under a listed path is included. */
export const RESTART_REQUIRED_FIELDS: readonly string[] = [
  'name',
  'bind',
  'advertise',
  'http',
  'gossip.cluster',
  'joinDns',
  'retryJoin',
  'logFormat',
  'eventHandler',
  'eventHandlerTimeoutMs',
  'eventHandlerConcurrency',
  'apiTokenFile',
  'requireApiToken',
  'maxEventSubscribers',
  'maxEventQueueBytes',
  'maxInboundConnections',
  'maxInboundConnectionsPerSource',
];

/** Fields applied while running (keyringFile: the file is re-read, which is how keys rotate). */
export const LIVE_FIELDS: readonly string[] = ['gossip', 'logLevel', 'tags', 'keyringFile', 'join'];

export interface ConfigDiff {
  readonly live: string[];
  readonly restartRequired: string[];
}

export function diffConfig(old: AgentConfig, next: AgentConfig): ConfigDiff {
  const paths = [...new Set([...fieldPaths(old), ...fieldPaths(next)])];
  const live: string[] = [];
  const restartRequired: string[] = [];
  for (const path of paths) {
    if (sameValue(valueAt(old, path), valueAt(next, path))) continue;
    // A field in neither list (added later) is assumed to need a restart: the safe mistake.
    if (!within(path, RESTART_REQUIRED_FIELDS) && within(path, LIVE_FIELDS)) live.push(path);
    else restartRequired.push(path);
  }
  return { live, restartRequired };
}

function within(path: string, list: readonly string[]): boolean {
  return list.some((p) => path === p || path.startsWith(`${p}.`));
}
