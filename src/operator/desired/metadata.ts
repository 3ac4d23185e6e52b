// Labels, owner reference and metadata common to every object the operator creates for a
// GossipCluster. The owner reference makes Kubernetes delete them with the GossipCluster.
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { API_VERSION, type GossipCluster, KIND } from '../api/gossipcluster-schema.js';

export const MANAGED_BY = 'grapevine-operator';

/** Selects the agent pods; immutable in a DaemonSet, so it never grows. */
export function selectorLabels(cr: GossipCluster): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'grapevine',
    'app.kubernetes.io/instance': cr.metadata.name,
    'app.kubernetes.io/component': 'agent',
  };
}

export function commonLabels(cr: GossipCluster): Record<string, string> {
  return { ...selectorLabels(cr), 'app.kubernetes.io/managed-by': MANAGED_BY };
}

export function ownerReference(cr: GossipCluster): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: cr.metadata.name,
    uid: cr.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** `extraLabels` never override the operator's own labels (selectors depend on them). */
export function objectMeta(
  cr: GossipCluster,
  name: string,
  extraLabels: Record<string, string> = {},
): V1ObjectMeta {
  return {
    name,
    namespace: cr.metadata.namespace,
    labels: { ...extraLabels, ...commonLabels(cr) },
    ownerReferences: [ownerReference(cr)],
  };
}
