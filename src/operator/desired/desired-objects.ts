// Everything the operator keeps in place for one GossipCluster, computed purely from the resource
// and its resolved spec (resolveSpec): no I/O, so the controller only compares and applies.
import type {
  KubernetesObject,
  V1ConfigMap,
  V1DaemonSet,
  V1NetworkPolicy,
  V1Service,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import type { GossipCluster, GossipClusterSpec } from '../api/gossipcluster-schema.js';
import { agentConfigFor } from './agent-config.js';
import { agentService } from './agent-service.js';
import { agentConfigMap } from './config-map.js';
import { agentDaemonSet } from './daemon-set.js';
import { agentNetworkPolicy } from './network-policy.js';
import { agentServiceAccount } from './service-account.js';
import { agentServiceMonitor, type ServiceMonitor } from './service-monitor.js';

export interface DesiredObjectsOptions {
  /** Whether monitoring.coreos.com/v1 ServiceMonitor is served by the apiserver. */
  readonly serviceMonitorCrdPresent: boolean;
  /** The cluster's DNS domain (the operator's --cluster-domain); default cluster.local. */
  readonly clusterDomain?: string;
}

/** The objects by role, and iterable in apply order (what pods reference exists before the DaemonSet). */
export interface DesiredObjects extends Iterable<KubernetesObject> {
  readonly serviceAccount: V1ServiceAccount;
  readonly configMap: V1ConfigMap;
  readonly service: V1Service;
  readonly daemonSet: V1DaemonSet;
  /** Absent when not enabled or its CRD is missing (then any existing one is the controller's to delete). */
  readonly serviceMonitor?: ServiceMonitor;
  /** Absent when spec.networkPolicy.enabled is false. */
  readonly networkPolicy?: V1NetworkPolicy;
}

export function desiredObjects(
  cr: GossipCluster,
  spec: GossipClusterSpec,
  opts: DesiredObjectsOptions,
): DesiredObjects {
  const config = agentConfigFor(cr, spec, opts.clusterDomain);
  const withMonitor = spec.metrics.serviceMonitor.enabled && opts.serviceMonitorCrdPresent;
  const objects = {
    serviceAccount: agentServiceAccount(cr),
    configMap: agentConfigMap(cr, config),
    service: agentService(cr, spec),
    daemonSet: agentDaemonSet(cr, spec, config),
    ...(spec.networkPolicy.enabled ? { networkPolicy: agentNetworkPolicy(cr, spec) } : {}),
    ...(withMonitor ? { serviceMonitor: agentServiceMonitor(cr, spec) } : {}),
  };
  const inOrder: KubernetesObject[] = [
    objects.serviceAccount,
    objects.configMap,
    objects.service,
    objects.daemonSet,
    ...(objects.networkPolicy ? [objects.networkPolicy] : []),
    ...(objects.serviceMonitor ? [objects.serviceMonitor] : []),
  ];
  // Not enumerable: the result stays plain data for JSON and deep equality.
  return Object.defineProperty(objects, Symbol.iterator, {
    value: () => inOrder[Symbol.iterator](),
    enumerable: false,
  }) as typeof objects & Iterable<KubernetesObject>;
}
