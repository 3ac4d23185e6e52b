// DaemonSet `<name>-agent`: one agent per node. Everything a pod needs to know about itself comes
// from the downward API (NODE_NAME → member name, POD_IP → advertised address); the rest from the
// mounted config. Locked down: non-root, read-only root, no capabilities, no API token.
import type {
  V1Container,
  V1DaemonSet,
  V1DaemonSetUpdateStrategy,
  V1PodSpec,
  V1ResourceRequirements,
  V1Volume,
} from '@kubernetes/client-node';
import type { AgentConfig } from '../../agent/config/agent-schema.js';
import type { GossipCluster, GossipClusterSpec } from '../api/gossipcluster-schema.js';
import { apiTokenSecretRef, keyringSecretRef } from '../secrets/secret-refs.js';
import { PORT_NAMES } from './agent-service.js';
import { configHash } from './config-hash.js';
import { commonLabels, objectMeta, selectorLabels } from './metadata.js';
import {
  AGENT_UID,
  API_TOKEN_FILE,
  agentObjectName,
  CONFIG_DIR,
  CONFIG_FILE,
  CONFIG_HASH_ANNOTATION,
  CONFIG_KEY,
  KEYRING_DIR,
} from './names.js';

/**
 * SIGTERM makes an agent leave: it spreads the leave rumor for at most 5 s (the agent's bound), then
 * closes. 30 s leaves ample room, so peers record `left` rather than suspecting and declaring `dead`.
 */
export const TERMINATION_GRACE_SECONDS = 30;

export function agentDaemonSet(cr: GossipCluster, spec: GossipClusterSpec, config: AgentConfig): V1DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: objectMeta(cr, agentObjectName(cr)),
    spec: {
      selector: { matchLabels: selectorLabels(cr) },
      updateStrategy: updateStrategy(spec),
      template: {
        metadata: {
          labels: commonLabels(cr),
          annotations: {
            [CONFIG_HASH_ANNOTATION]: configHash(config),
            'kubectl.kubernetes.io/default-container': 'agent',
          },
        },
        spec: podSpec(cr, spec),
      },
    },
  };
}

function updateStrategy(spec: GossipClusterSpec): V1DaemonSetUpdateStrategy {
  const s = spec.updateStrategy;
  if (s.type === 'OnDelete') return { type: 'OnDelete' };
  // Only what the spec sets: an unset amount is the DaemonSet's own default, and a field the spec
  // dropped is then removed by the next apply (the field manager owns it).
  const rollingUpdate = {
    ...(s.maxUnavailable !== undefined ? { maxUnavailable: s.maxUnavailable } : {}),
    ...(s.maxSurge !== undefined ? { maxSurge: s.maxSurge } : {}),
  };
  return {
    type: 'RollingUpdate',
    ...(Object.keys(rollingUpdate).length > 0 ? { rollingUpdate } : {}),
  };
}

function podSpec(cr: GossipCluster, spec: GossipClusterSpec): V1PodSpec {
  return {
    serviceAccountName: agentObjectName(cr),
    automountServiceAccountToken: false,
    hostNetwork: spec.hostNetwork,
    // With the node's network the node's resolver would be used, and it cannot resolve the Service.
    dnsPolicy: spec.hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
    terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: AGENT_UID,
      runAsGroup: AGENT_UID,
      fsGroup: AGENT_UID, // makes the mounted keyring (mode 0440) readable by the agent
      seccompProfile: { type: 'RuntimeDefault' },
    },
    ...(spec.nodeSelector !== undefined ? { nodeSelector: spec.nodeSelector } : {}),
    ...(spec.tolerations !== undefined ? { tolerations: spec.tolerations } : {}),
    ...(spec.affinity !== undefined ? { affinity: spec.affinity } : {}),
    ...(spec.priorityClassName !== undefined ? { priorityClassName: spec.priorityClassName } : {}),
    containers: [agentContainer(spec)],
    volumes: [configVolume(cr, spec)],
  };
}

function agentContainer(spec: GossipClusterSpec): V1Container {
  const { gossip, http } = spec.ports;
  // hostNetwork pods must declare hostPort = containerPort; the apiserver would default it anyway.
  const host = (port: number) => (spec.hostNetwork ? { hostPort: port } : {});
  return {
    name: 'agent',
    image: spec.image,
    imagePullPolicy: spec.imagePullPolicy,
    // The image's entry point is the grapevine CLI (Dockerfile), so this runs `grapevine agent …`.
    args: ['agent', '--config', CONFIG_FILE],
    env: [
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    ],
    ports: [
      { name: PORT_NAMES.gossipUdp, containerPort: gossip, protocol: 'UDP', ...host(gossip) },
      { name: PORT_NAMES.gossipTcp, containerPort: gossip, protocol: 'TCP', ...host(gossip) },
      { name: PORT_NAMES.http, containerPort: http, protocol: 'TCP', ...host(http) },
    ],
    // Ready = joined (a peer in view) and not leaving; the rolling update waits for it.
    readinessProbe: {
      httpGet: { path: '/readyz', port: PORT_NAMES.http },
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 3,
    },
    livenessProbe: {
      httpGet: { path: '/healthz', port: PORT_NAMES.http },
      initialDelaySeconds: 10,
      periodSeconds: 10,
      timeoutSeconds: 3,
      failureThreshold: 3,
    },
    ...(spec.resources !== undefined ? { resources: resources(spec.resources) } : {}),
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }],
  };
}

// The CRD admits `cpu: 1`; the Pod API types quantities as text.
function resources(r: NonNullable<GossipClusterSpec['resources']>): V1ResourceRequirements {
  const text = (m: Record<string, string | number>) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)]));
  return {
    ...(r.limits !== undefined ? { limits: text(r.limits) } : {}),
    ...(r.requests !== undefined ? { requests: text(r.requests) } : {}),
  };
}

// One projected volume at /etc/grapevine holds agent.yaml, api-token/token and keyring/<key>: no mount nested in
// another, and the kubelet refreshes both sources in place (key rotation, config hot reload).
function configVolume(cr: GossipCluster, spec: GossipClusterSpec): V1Volume {
  const name = agentObjectName(cr);
  const keyring = keyringSecretRef(cr, spec);
  const keyringPath = KEYRING_DIR.slice(CONFIG_DIR.length + 1);
  const token = apiTokenSecretRef(cr, spec);
  return {
    name: 'config',
    projected: {
      defaultMode: 0o440,
      sources: [
        { configMap: { name, items: [{ key: CONFIG_KEY, path: CONFIG_KEY }] } },
        {
          secret: {
            name: token.name,
            items: [{ key: token.key, path: API_TOKEN_FILE.slice(CONFIG_DIR.length + 1) }],
          },
        },
        ...(keyring !== undefined
          ? [
              {
                secret: {
                  name: keyring.name,
                  items: [{ key: keyring.key, path: `${keyringPath}/${keyring.key}` }],
                },
              },
            ]
          : []),
      ],
    },
  };
}
