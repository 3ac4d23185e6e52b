// ConfigMap `<name>-agent`: the agent config file, mounted (not via subPath, which never updates)
// so that the kubelet refreshes it in running pods and the agents hot-reload it.
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { AgentConfig } from '../../agent/config/agent-schema.js';
import type { GossipCluster } from '../api/gossipcluster-schema.js';
import { renderAgentConfig } from './agent-config.js';
import { objectMeta } from './metadata.js';
import { agentObjectName, CONFIG_KEY } from './names.js';

export function agentConfigMap(cr: GossipCluster, config: AgentConfig): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: objectMeta(cr, agentObjectName(cr)),
    data: { [CONFIG_KEY]: renderAgentConfig(cr, config) },
  };
}
