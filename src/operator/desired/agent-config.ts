// The agent configuration the operator writes into the ConfigMap (format: agent-schema.ts). Node
// name and advertise address are left out on purpose: each pod gets them from NODE_NAME and POD_IP.
import { createHash } from 'node:crypto';
import { KindGuard, type TSchema } from '@sinclair/typebox';
import { stringify } from 'yaml';
import type { AgentConfig } from '../../agent/config/agent-schema.js';
import { type EngineConfig, EngineSchema } from '../../agent/config/engine-schema.js';
import { DEFAULT_CLUSTER } from '../api/crd.js';
import type { GossipCluster, GossipClusterSpec } from '../api/gossipcluster-schema.js';
import { keyringSecretRef } from '../secrets/secret-refs.js';
import { API_TOKEN_FILE, agentServiceFqdn, DEFAULT_CLUSTER_DOMAIN, KEYRING_DIR } from './names.js';

const MAX_CLUSTER_LENGTH = Number(EngineSchema.properties.cluster.maxLength);

/**
 * The gossip cluster name: the user's, unless they left the engine default, in which case it is
 * `<namespace>/<name>` — so agents of two GossipClusters (e.g. after a pod IP is reused) drop each
 * other's packets. Beyond the 64-character limit it is cut and suffixed with a hash of the whole.
 */
export function gossipClusterName(cr: GossipCluster, spec: GossipClusterSpec): string {
  if (spec.gossip.cluster !== DEFAULT_CLUSTER) return spec.gossip.cluster;
  const full = `${cr.metadata.namespace}/${cr.metadata.name}`;
  if (full.length <= MAX_CLUSTER_LENGTH) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, MAX_CLUSTER_LENGTH - hash.length - 1)}-${hash}`;
}

export function keyringFile(cr: GossipCluster, spec: GossipClusterSpec): string | undefined {
  const ref = keyringSecretRef(cr, spec);
  return ref ? `${KEYRING_DIR}/${ref.key}` : undefined;
}

export function agentConfigFor(
  cr: GossipCluster,
  spec: GossipClusterSpec,
  clusterDomain = DEFAULT_CLUSTER_DOMAIN,
): AgentConfig {
  const keyring = keyringFile(cr, spec);
  return {
    // 0.0.0.0: peers, the operator (status) and Prometheus all reach the agent from other pods.
    bind: `0.0.0.0:${spec.ports.gossip}`,
    http: `0.0.0.0:${spec.ports.http}`,
    join: [],
    joinDns: agentServiceFqdn(cr, clusterDomain),
    ...(keyring !== undefined ? { keyringFile: keyring } : {}),
    // The write routes then require the token (the Secret is mounted at this path); an agent whose
    // token file is missing refuses to start rather than serve them open.
    apiTokenFile: API_TOKEN_FILE,
    requireApiToken: true,
    logLevel: spec.logLevel,
    // Pods log for machines (kubectl logs, log collectors): JSON lines, whatever the terminal.
    logFormat: 'json',
    tags: sortedKeys(spec.tags),
    gossip: inSchemaOrder(EngineSchema, {
      ...spec.gossip,
      cluster: gossipClusterName(cr, spec),
    }) as EngineConfig,
  };
}

/** The ConfigMap's `agent.yaml`; the same spec always gives the same text (no spurious updates). */
export function renderAgentConfig(cr: GossipCluster, config: AgentConfig): string {
  const header = [
    `# Written by grapevine-operator for GossipCluster ${cr.metadata.namespace}/${cr.metadata.name}.`,
    '# Edit the GossipCluster instead: changes here are overwritten.',
  ];
  return `${header.join('\n')}\n${stringify(config)}`;
}

// The apiserver hands back objects with keys in its own order; the file follows the schema's.
function inSchemaOrder(schema: TSchema, value: Record<string, unknown>): Record<string, unknown> {
  if (!KindGuard.IsObject(schema)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(schema.properties)) {
    const v = value[key];
    if (v === undefined) continue;
    out[key] =
      typeof v === 'object' && v !== null && !Array.isArray(v)
        ? inSchemaOrder(sub, v as Record<string, unknown>)
        : v;
  }
  return out;
}

function sortedKeys(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
