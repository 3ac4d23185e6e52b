// The GossipCluster resource (grapevine.dev/v1alpha1), defined once in TypeBox. Its spec reuses the
// agent's schemas (every protocol tunable is the engine schema itself), and crds/ is generated from
// this file, so the agent config, the CRD and the chart values cannot disagree.
import type {
  V1Affinity,
  V1ManagedFieldsEntry,
  V1NetworkPolicyPeer,
  V1Toleration,
} from '@kubernetes/client-node';
import { type Static, Type } from '@sinclair/typebox';
import { AgentConfigSchema } from '../../agent/config/agent-schema.js';
import { EngineSchema } from '../../agent/config/engine-schema.js';
import { kubernetesModel } from './k8s-model-schema.js';
import {
  DATA_KEY_PATTERN,
  DNS_SUBDOMAIN_PATTERN,
  IMAGE_PATTERN,
  LABEL_VALUE_PATTERN,
  PERCENT_PATTERN,
  QUALIFIED_NAME_PATTERN,
  QUANTITY_PATTERN,
} from './patterns.js';

export const GROUP = 'grapevine.dev';
export const VERSION = 'v1alpha1';
export const KIND = 'GossipCluster';
export const PLURAL = 'gossipclusters';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const DEFAULT_IMAGE = 'ghcr.io/grapevine-dev/grapevine:0.1.0';

const Port = (def: number, description: string) =>
  Type.Integer({ minimum: 1, maximum: 65535, default: def, description });

/** A DaemonSet rollingUpdate amount (maxUnavailable, maxSurge): a count or a percentage of nodes. */
const RollingUpdateAmount = (description: string) =>
  Type.Unsafe<number | string>({
    'x-kubernetes-int-or-string': true,
    minimum: 0,
    pattern: PERCENT_PATTERN,
    description,
  });

const Quantity = Type.Unsafe<number | string>({
  'x-kubernetes-int-or-string': true,
  pattern: QUANTITY_PATTERN,
  minimum: 0,
  description: 'A quantity: a non-negative integer or text such as 100m, 0.5, 128Mi or 1G.',
});

const LabelMap = (description: string) =>
  Type.Record(Type.String(), Type.String({ maxLength: 63, pattern: LABEL_VALUE_PATTERN }), {
    maxProperties: 64,
    description,
  });

const SecretKeyRef = (defaultKey: string, keyDescription: string, description: string) =>
  Type.Object(
    {
      name: Type.String({
        minLength: 1,
        maxLength: 253,
        pattern: DNS_SUBDOMAIN_PATTERN,
        description: 'Secret in the GossipCluster namespace (a DNS subdomain name, e.g. gossip-keys).',
      }),
      key: Type.String({
        default: defaultKey,
        maxLength: 253,
        pattern: DATA_KEY_PATTERN,
        description: keyDescription,
      }),
    },
    { additionalProperties: false, description },
  );

// Tolerations and affinity are the Pod API's own types (k8s-model-schema.ts), refined with the
// enums the generated models do not carry.
const Toleration = kubernetesModel<V1Toleration>(
  'V1Toleration',
  {
    'V1Toleration.operator': { enum: ['Exists', 'Equal'] },
    'V1Toleration.effect': { enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] },
    'V1Toleration.key': { maxLength: 317, pattern: `^(${QUALIFIED_NAME_PATTERN.slice(1, -1)})?$` },
    'V1Toleration.value': { maxLength: 63, pattern: LABEL_VALUE_PATTERN },
  },
  { additionalProperties: false },
);

const Affinity = kubernetesModel<V1Affinity>('V1Affinity', {
  'V1NodeSelectorRequirement.operator': { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'] },
  'V1LabelSelectorRequirement.operator': { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
  'V1WeightedPodAffinityTerm.weight': { minimum: 1, maximum: 100 },
  'V1PreferredSchedulingTerm.weight': { minimum: 1, maximum: 100 },
});

const NetworkPolicyPeer = kubernetesModel<V1NetworkPolicyPeer>('V1NetworkPolicyPeer');

const Resources = Type.Object(
  {
    limits: Type.Optional(
      Type.Record(Type.String(), Quantity, {
        maxProperties: 16,
        description: 'Upper bounds, e.g. cpu: 500m, memory: 128Mi.',
      }),
    ),
    requests: Type.Optional(
      Type.Record(Type.String(), Quantity, {
        maxProperties: 16,
        description: 'What the scheduler reserves, e.g. cpu: 50m, memory: 64Mi.',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'Compute resources of the agent container (core/v1 ResourceRequirements without claims).',
  },
);

export const GossipClusterSpecSchema = Type.Object(
  {
    image: Type.String({
      default: DEFAULT_IMAGE,
      minLength: 1,
      maxLength: 512,
      pattern: IMAGE_PATTERN,
      description: 'Agent image reference: [registry[:port]/]repository[:tag][@digest].',
    }),
    imagePullPolicy: Type.Union(
      [Type.Literal('Always'), Type.Literal('IfNotPresent'), Type.Literal('Never')],
      { default: 'IfNotPresent', description: 'When the kubelet pulls the image.' },
    ),
    ports: Type.Object(
      {
        gossip: Port(7946, 'Gossip port, UDP and TCP.'),
        http: Port(7947, 'HTTP API and metrics port.'),
      },
      {
        additionalProperties: false,
        default: {},
        description: 'Ports of the agents; gossip and http must differ.',
      },
    ),
    hostNetwork: Type.Boolean({ default: false, description: 'Run agents in the node network namespace.' }),
    nodeSelector: Type.Optional(
      LabelMap('Only nodes with all these labels run an agent (keys are label keys, e.g. kubernetes.io/os).'),
    ),
    tolerations: Type.Optional(
      Type.Array(Toleration, {
        maxItems: 64,
        description: 'Taints the agent pods tolerate (core/v1 Toleration).',
      }),
    ),
    affinity: Type.Optional(Affinity),
    resources: Type.Optional(Resources),
    priorityClassName: Type.Optional(
      Type.String({
        maxLength: 253,
        pattern: DNS_SUBDOMAIN_PATTERN,
        description: 'PriorityClass of the agent pods (e.g. system-node-critical).',
      }),
    ),
    logLevel: AgentConfigSchema.properties.logLevel,
    tags: AgentConfigSchema.properties.tags,
    gossip: EngineSchema,
    encryption: Type.Optional(
      Type.Object(
        {
          secretRef: Type.Optional(
            SecretKeyRef(
              'keyring',
              'Key holding base64 AES-256 keys, one per line (primary first).',
              'Your own keyring Secret. Without it, the operator generates <name>-keyring with one random key.',
            ),
          ),
        },
        {
          additionalProperties: false,
          description:
            'AES-256-GCM for all gossip traffic. `encryption: {}` is enough: the operator then generates the keyring Secret. Without encryption, every pod that can reach the gossip port can join and forge membership.',
        },
      ),
    ),
    api: Type.Object(
      {
        tokenSecretRef: Type.Optional(
          SecretKeyRef(
            'token',
            'Key holding the bearer token.',
            'Your own token Secret. Without it, the operator generates <name>-api-token with a random token.',
          ),
        ),
      },
      {
        additionalProperties: false,
        default: {},
        description:
          "The agents' HTTP API: its write routes require this bearer token (mounted into the agents; the operator uses it for status calls).",
      },
    ),
    networkPolicy: Type.Object(
      {
        enabled: Type.Boolean({
          default: true,
          description:
            'Create a NetworkPolicy <name>-agent: the gossip port (UDP and TCP) only from agents of this GossipCluster, the HTTP port only from httpFrom. Has no effect with hostNetwork.',
        }),
        httpFrom: Type.Optional(
          Type.Array(NetworkPolicyPeer, {
            maxItems: 32,
            description:
              'Who may reach the HTTP port (metrics, health, API): core/v1 NetworkPolicyPeers. Unset: any source (write routes still need the token). The operator and Prometheus must be included when set.',
          }),
        ),
      },
      { additionalProperties: false, default: {}, description: 'Network isolation of the agent pods.' },
    ),
    metrics: Type.Object(
      {
        serviceMonitor: Type.Object(
          {
            enabled: Type.Boolean({
              default: false,
              description: 'Create a ServiceMonitor when its CRD exists.',
            }),
            labels: Type.Record(Type.String(), Type.String({ maxLength: 63, pattern: LABEL_VALUE_PATTERN }), {
              default: {},
              maxProperties: 64,
              description:
                'Labels of the ServiceMonitor, e.g. what a Prometheus serviceMonitorSelector matches.',
            }),
            interval: Type.String({
              default: '30s',
              pattern: '^[0-9]+(ms|s|m|h)$',
              description: 'Scrape interval (e.g. 30s).',
            }),
          },
          {
            additionalProperties: false,
            default: {},
            description: 'A prometheus-operator ServiceMonitor for the agents.',
          },
        ),
      },
      { additionalProperties: false, default: {}, description: 'Metrics scraping.' },
    ),
    updateStrategy: Type.Object(
      {
        type: Type.Union([Type.Literal('RollingUpdate'), Type.Literal('OnDelete')], {
          default: 'RollingUpdate',
          description: 'RollingUpdate replaces agents node by node; OnDelete only when a pod is deleted.',
        }),
        maxUnavailable: Type.Optional(
          RollingUpdateAmount(
            'RollingUpdate: agents down at once while the template changes, 0–N or 0%–100%. Unset: the DaemonSet default, 1. May be 0 only with maxSurge above 0.',
          ),
        ),
        maxSurge: Type.Optional(
          RollingUpdateAmount(
            'RollingUpdate: nodes where the new agent starts before the old one stops, 0–N or 0%–100%. Unset: the DaemonSet default, 0. Above 0 it needs maxUnavailable: 0 (a DaemonSet surges or stops first, never both), and not with hostNetwork (both agents would need the same host ports, so the new one is never scheduled).',
          ),
        ),
      },
      {
        additionalProperties: false,
        default: {},
        description: 'How agents are replaced when the pod template changes.',
      },
    ),
  },
  { additionalProperties: false },
);

export const ConditionSchema = Type.Object(
  {
    type: Type.String({
      description: 'The condition: Ready, Converged, Progressing or Degraded (one of each).',
    }),
    status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')], {
      description: 'True, False or Unknown.',
    }),
    reason: Type.String({
      description: 'Why, in one CamelCase word (e.g. AgentsJoined, InvalidSpec, ObjectNotOwned).',
    }),
    message: Type.String({
      description: 'Why, for people: the numbers behind the verdict, or the field path of a problem.',
    }),
    lastTransitionTime: Type.String({
      format: 'date-time',
      description: 'When status last changed (reason and message may change without moving it).',
    }),
    observedGeneration: Type.Optional(
      Type.Integer({ description: 'The metadata.generation of the spec this condition was computed for.' }),
    ),
  },
  { description: 'One aspect of the state, as the Kubernetes condition conventions describe it.' },
);

export const GossipClusterStatusSchema = Type.Object({
  observedGeneration: Type.Optional(
    Type.Integer({
      description: 'The metadata.generation of the spec this status describes (the last one reconciled).',
    }),
  ),
  conditions: Type.Optional(
    Type.Array(ConditionSchema, {
      description:
        'Ready: agents running and joined. Converged: enough agents share one membership view (with hysteresis). Progressing: a rollout is under way. Degraded: the spec is invalid or could not be applied (reason and field path in the message).',
    }),
  ),
  desiredAgents: Type.Optional(
    Type.Integer({ description: 'Agents the DaemonSet should run (its status.desiredNumberScheduled).' }),
  ),
  readyAgents: Type.Optional(
    Type.Integer({ description: "Agents that passed their readiness probe (the DaemonSet's numberReady)." }),
  ),
  members: Type.Optional(
    Type.Object(
      {
        alive: Type.Integer({ description: 'Members alive.' }),
        suspect: Type.Integer({ description: 'Members suspected of failure, not yet declared dead.' }),
        dead: Type.Integer({ description: 'Members declared dead (failed) and not yet forgotten.' }),
        left: Type.Integer({ description: 'Members that left gracefully and are not yet forgotten.' }),
      },
      {
        description:
          'Membership by state, in the majority view of the agents polled in the last status round. Absent until a round reached an agent.',
      },
    ),
  ),
  agentsReached: Type.Optional(
    Type.Integer({
      description:
        'Agents whose HTTP API answered in the last status round, out of those polled (a sample: 64 by default, see docs/operator-status.md).',
    }),
  ),
  converged: Type.Optional(
    Type.Boolean({
      description:
        'The Converged condition as a boolean: true when it is True. Absent before the first round.',
    }),
  ),
  lastConvergenceTime: Type.Optional(
    Type.String({
      format: 'date-time',
      description:
        'When the agents last became converged (kept as history while they are not). Absent if they never were.',
    }),
  ),
});

export type GossipClusterSpec = Static<typeof GossipClusterSpecSchema>;
export type GossipClusterStatus = Static<typeof GossipClusterStatusSchema>;
export type Condition = Static<typeof ConditionSchema>;

export interface GossipCluster {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    finalizers?: string[];
    /** Who wrote which fields (server-side apply); the status writer reads the status entries. */
    managedFields?: V1ManagedFieldsEntry[];
  };
  /** As stored: the apiserver applied the CRD's defaults; resolveSpec() fills and checks the rest. */
  spec: GossipClusterSpec;
  status?: GossipClusterStatus;
}
