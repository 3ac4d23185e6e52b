// Which agents the operator polls: the Running pods of a GossipCluster's DaemonSet that have an IP,
// addressed by IP (not DNS) so a status round does not depend on the cluster DNS. With hostNetwork
// the pod IP is the node IP, and the agent's HTTP port is the same, so the formula does not change.
import { isIP } from 'node:net';

/** The parts of a core/v1 Pod this module reads (a client-node V1Pod is assignable to it). */
export interface PodLike {
  metadata?: { name?: string; deletionTimestamp?: Date | string };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: Array<{ type: string; status: string }>;
  };
}

export interface AgentTarget {
  pod: string;
  /** Base URL of the agent's HTTP API, e.g. http://10.0.0.7:7947 or http://[fd00::7]:7947. */
  url: string;
  /** The pod's Ready condition is True (the kubelet's /readyz probe passed). */
  ready: boolean;
}

/** `http://<ip>:<port>`, IPv6 in brackets; undefined when `ip` is not an IP address. */
export function agentUrl(ip: string, httpPort: number): string | undefined {
  const family = isIP(ip);
  if (family === 0) return undefined;
  return family === 6 ? `http://[${ip}]:${httpPort}` : `http://${ip}:${httpPort}`;
}

/** Targets sorted by pod name; skips pods without a name or IP, not Running, or being deleted. */
export function agentTargets(pods: readonly PodLike[], httpPort: number): AgentTarget[] {
  const targets: AgentTarget[] = [];
  for (const pod of pods) {
    const name = pod.metadata?.name;
    const ip = pod.status?.podIP;
    if (!name || !ip || pod.status?.phase !== 'Running' || pod.metadata?.deletionTimestamp) continue;
    const url = agentUrl(ip, httpPort);
    if (!url) continue;
    const ready = pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    targets.push({ pod: name, url, ready });
  }
  return targets.sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0));
}
