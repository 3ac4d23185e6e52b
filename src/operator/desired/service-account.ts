// ServiceAccount `<name>-agent`. Agents never call the Kubernetes API (peers come from DNS, identity
// from the downward API), so it has no RBAC and no token is mounted: a compromised agent holds no
// credentials. It exists so that agents do not run as the namespace's `default` account.
import type { V1ServiceAccount } from '@kubernetes/client-node';
import type { GossipCluster } from '../api/gossipcluster-schema.js';
import { objectMeta } from './metadata.js';
import { agentObjectName } from './names.js';

export function agentServiceAccount(cr: GossipCluster): V1ServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: objectMeta(cr, agentObjectName(cr)),
    automountServiceAccountToken: false,
  };
}
