// NetworkPolicy `<name>-agent`: the gossip port (UDP and TCP) only from agents of the same
// GossipCluster, the HTTP port only from spec.networkPolicy.httpFrom (any source when unset: the
// write routes still need the API token, and Prometheus and the operator must reach /metrics and the
// status routes). Egress is not restricted: agents resolve DNS and reach peers. A NetworkPolicy has no
// effect on hostNetwork pods, and none at all without a CNI that enforces it.
import type { V1NetworkPolicy, V1NetworkPolicyIngressRule } from '@kubernetes/client-node';
import type { GossipCluster, GossipClusterSpec } from '../api/gossipcluster-schema.js';
import { objectMeta, selectorLabels } from './metadata.js';
import { agentObjectName } from './names.js';

export function agentNetworkPolicy(cr: GossipCluster, spec: GossipClusterSpec): V1NetworkPolicy {
  const { gossip, http } = spec.ports;
  const httpFrom = spec.networkPolicy.httpFrom;
  const gossipRule: V1NetworkPolicyIngressRule = {
    _from: [{ podSelector: { matchLabels: selectorLabels(cr) } }],
    ports: [
      { protocol: 'UDP', port: gossip },
      { protocol: 'TCP', port: gossip },
    ],
  };
  const httpRule: V1NetworkPolicyIngressRule = {
    ...(httpFrom !== undefined ? { _from: httpFrom } : {}),
    ports: [{ protocol: 'TCP', port: http }],
  };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: objectMeta(cr, agentObjectName(cr)),
    spec: {
      podSelector: { matchLabels: selectorLabels(cr) },
      policyTypes: ['Ingress'],
      ingress: [gossipRule, httpRule],
    },
  };
}
