// ServiceMonitor `<name>-agent` (prometheus-operator): scrapes /metrics on every agent through the
// headless Service. Only created when asked for and when its CRD is installed.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { GossipCluster, GossipClusterSpec } from '../api/gossipcluster-schema.js';
import { PORT_NAMES } from './agent-service.js';
import { objectMeta, selectorLabels } from './metadata.js';
import { agentObjectName } from './names.js';

export interface ServiceMonitor extends KubernetesObject {
  spec: {
    selector: { matchLabels: Record<string, string> };
    namespaceSelector: { matchNames: string[] };
    endpoints: Array<{ port: string; path: string; interval: string }>;
  };
}

export function agentServiceMonitor(cr: GossipCluster, spec: GossipClusterSpec): ServiceMonitor {
  const sm = spec.metrics.serviceMonitor;
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    // The user's labels are what a Prometheus' serviceMonitorSelector matches on.
    metadata: objectMeta(cr, agentObjectName(cr), sm.labels),
    spec: {
      selector: { matchLabels: selectorLabels(cr) },
      namespaceSelector: { matchNames: [cr.metadata.namespace] },
      endpoints: [{ port: PORT_NAMES.http, path: '/metrics', interval: sm.interval }],
    },
  };
}
