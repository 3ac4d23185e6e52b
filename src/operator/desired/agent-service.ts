// Service `<name>-agent`: headless, for discovery only. Its DNS name resolves to every agent pod's
// IP, and publishNotReadyAddresses includes pods that are not ready yet — which is all of them at
// first, since an agent is ready only once it has joined: without it no agent could ever find a peer.
import type { V1Service } from '@kubernetes/client-node';
import type { GossipCluster, GossipClusterSpec } from '../api/gossipcluster-schema.js';
import { objectMeta, selectorLabels } from './metadata.js';
import { agentObjectName } from './names.js';

export const PORT_NAMES = { gossipUdp: 'gossip-udp', gossipTcp: 'gossip-tcp', http: 'http' } as const;

export function agentService(cr: GossipCluster, spec: GossipClusterSpec): V1Service {
  const { gossip, http } = spec.ports;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: objectMeta(cr, agentObjectName(cr)),
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: selectorLabels(cr),
      ports: [
        { name: PORT_NAMES.gossipUdp, protocol: 'UDP', port: gossip, targetPort: gossip },
        { name: PORT_NAMES.gossipTcp, protocol: 'TCP', port: gossip, targetPort: gossip },
        { name: PORT_NAMES.http, protocol: 'TCP', port: http, targetPort: http },
      ],
    },
  };
}
