// The GossipCluster resource (grapevine.dev/v1alpha1), defined once in TypeBox. Its spec reuses the
// agent's schemas (every protocol tunable is the engine schema itself), and crds/ is generated from
// this file, so the agent config, the CRD and the chart values cannot disagree.
import { type Static, Type } from '@sinclair/typebox';
import { AgentConfigSchema } from '../../agent/config/agent-schema.js';
import { EngineSchema } from '../../agent/config/engine-schema.js';

export const GROUP = 'grapevine.dev';
export const VERSION = 'v1alpha1';
export const KIND = 'GossipCluster';
export const PLURAL = 'gossipclusters';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const DEFAULT_IMAGE = 'ghcr.io/grapevine-dev/grapevine:0.1.0';

const Port = (def: number, description: string) =>
  Type.Integer({ minimum: 1, maximum: 65535, default: def, description });

/** Kubernetes quantities and percentages: an integer or a string. */
const IntOrString = (description: string) =>
  Type.Unsafe<number | string>({ 'x-kubernetes-int-or-string': true, description });

const Toleration = Type.Object(
  {
    key: Type.Optional(Type.String()),
    operator: Type.Optional(Type.Union([Type.Literal('Exists'), Type.Literal('Equal')])),
    value: Type.Optional(Type.String()),
    effect: Type.Optional(
      Type.Union([Type.Literal('NoSchedule'), Type.Literal('PreferNoSchedule'), Type.Literal('NoExecute')]),
    ),
    tolerationSeconds: Type.Optional(Type.Integer()),
  },
  { additionalProperties: false },
);

const Resources = Type.Object(
  {
    limits: Type.Optional(Type.Record(Type.String(), IntOrString('A quantity, e.g. 100m or 128Mi.'))),
    requests: Type.Optional(Type.Record(Type.String(), IntOrString('A quantity, e.g. 100m or 128Mi.'))),
  },
  { additionalProperties: false, description: 'Compute resources of the agent container.' },
);

export const GossipClusterSpecSchema = Type.Object(
  {
    image: Type.String({ default: DEFAULT_IMAGE, minLength: 1, description: 'Agent image.' }),
    imagePullPolicy: Type.Union(
      [Type.Literal('Always'), Type.Literal('IfNotPresent'), Type.Literal('Never')],
      {
        default: 'IfNotPresent',
      },
    ),
    ports: Type.Object(
      {
        gossip: Port(7946, 'Gossip port, UDP and TCP.'),
        http: Port(7947, 'HTTP API and metrics port.'),
      },
      { additionalProperties: false, default: {} },
    ),
    hostNetwork: Type.Boolean({ default: false, description: 'Run agents in the node network namespace.' }),
    nodeSelector: Type.Optional(Type.Record(Type.String(), Type.String())),
    tolerations: Type.Optional(Type.Array(Toleration)),
    affinity: Type.Optional(
      Type.Unsafe<Record<string, unknown>>({
        type: 'object',
        'x-kubernetes-preserve-unknown-fields': true,
        description: 'A core/v1 Affinity, passed to the agent pods as it is.',
      }),
    ),
    resources: Type.Optional(Resources),
    priorityClassName: Type.Optional(Type.String()),
    logLevel: AgentConfigSchema.properties.logLevel,
    tags: AgentConfigSchema.properties.tags,
    gossip: EngineSchema,
    encryption: Type.Optional(
      Type.Object(
        {
          secretRef: Type.Object(
            {
              name: Type.String({ minLength: 1, description: 'Secret in the GossipCluster namespace.' }),
              key: Type.String({
                default: 'keyring',
                description: 'Key holding base64 AES-256 keys, one per line.',
              }),
            },
            { additionalProperties: false },
          ),
        },
        { additionalProperties: false, description: 'AES-256-GCM for all gossip traffic.' },
      ),
    ),
    metrics: Type.Object(
      {
        serviceMonitor: Type.Object(
          {
            enabled: Type.Boolean({
              default: false,
              description: 'Create a ServiceMonitor when its CRD exists.',
            }),
            labels: Type.Record(Type.String(), Type.String(), { default: {} }),
            interval: Type.String({ default: '30s', pattern: '^[0-9]+(ms|s|m|h)$' }),
          },
          { additionalProperties: false, default: {} },
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    updateStrategy: Type.Object(
      {
        type: Type.Union([Type.Literal('RollingUpdate'), Type.Literal('OnDelete')], {
          default: 'RollingUpdate',
        }),
        maxUnavailable: Type.Optional(
          IntOrString('RollingUpdate: agents down at once (number or percentage).'),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false },
);

export const ConditionSchema = Type.Object({
  type: Type.String(),
  status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')]),
  reason: Type.String(),
  message: Type.String(),
  lastTransitionTime: Type.String({ format: 'date-time' }),
  observedGeneration: Type.Optional(Type.Integer()),
});

export const GossipClusterStatusSchema = Type.Object({
  observedGeneration: Type.Optional(Type.Integer()),
  conditions: Type.Optional(Type.Array(ConditionSchema)),
  desiredAgents: Type.Optional(Type.Integer()),
  readyAgents: Type.Optional(Type.Integer()),
  members: Type.Optional(
    Type.Object({
      alive: Type.Integer(),
      suspect: Type.Integer(),
      dead: Type.Integer(),
      left: Type.Integer(),
    }),
  ),
  /** Agents whose HTTP API answered in the last status round, out of those polled. */
  agentsReached: Type.Optional(Type.Integer()),
  converged: Type.Optional(Type.Boolean()),
  lastConvergenceTime: Type.Optional(Type.String({ format: 'date-time' })),
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
  };
  /** As stored: the apiserver applied the CRD's defaults; resolveSpec() fills and checks the rest. */
  spec: GossipClusterSpec;
  status?: GossipClusterStatus;
}
