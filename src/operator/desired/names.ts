// Names and paths shared by the objects of one GossipCluster.
import { AGENT_SUFFIX } from '../api/cr-name.js';
import type { GossipCluster } from '../api/gossipcluster-schema.js';

/** The ConfigMap, DaemonSet, Service and ServiceAccount (and ServiceMonitor) share this name. */
export function agentObjectName(cr: GossipCluster): string {
  return `${cr.metadata.name}${AGENT_SUFFIX}`;
}

/** The default of the operator's --cluster-domain: what kubeadm and most distributions use. */
export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

/** The headless Service's DNS name: resolves to every agent pod, ready or not. */
export function agentServiceFqdn(cr: GossipCluster, clusterDomain = DEFAULT_CLUSTER_DOMAIN): string {
  return `${agentObjectName(cr)}.${cr.metadata.namespace}.svc.${clusterDomain}`;
}

export const CONFIG_DIR = '/etc/grapevine';
export const CONFIG_KEY = 'agent.yaml';
export const CONFIG_FILE = `${CONFIG_DIR}/${CONFIG_KEY}`;
export const KEYRING_DIR = `${CONFIG_DIR}/keyring`;
/** The API token file, in the same projected volume as the config. */
export const API_TOKEN_FILE = `${CONFIG_DIR}/api-token/token`;
export const CONFIG_HASH_ANNOTATION = 'grapevine.dev/config-hash';
/** The image's unprivileged `node` user (see Dockerfile); numeric so runAsNonRoot can be verified. */
export const AGENT_UID = 1000;
