// The GossipCluster CustomResourceDefinition, generated from the TypeBox spec/status schemas (so the
// CRD, the agent config and the operator's own validation cannot disagree). crds/ holds its YAML,
// written by scripts/gen-crd.ts.
import { EngineSchema } from '../../agent/config/engine-schema.js';
import { LIMITS } from '../../agent/wire/limits.js';
import { CROSS_FIELD_RULES } from './cross-field-rules.js';
import {
  GossipClusterSpecSchema,
  GossipClusterStatusSchema,
  GROUP,
  KIND,
  PLURAL,
  VERSION,
} from './gossipcluster-schema.js';
import { type JsonSchema, toStructuralSchema } from './structural-schema.js';

export const CRD_NAME = `${PLURAL}.${GROUP}`;
export const SHORT_NAMES = ['gc', 'gossip'];
// Not in `all`: `kubectl delete all --all` would otherwise take the membership layer of a namespace
// down with the workloads, and `kubectl get all` is for workloads.
export const CATEGORIES = ['grapevine'];

/** `default` (the engine's own default) means "derive from the GossipCluster": see agent-config.ts. */
export const DEFAULT_CLUSTER = String(EngineSchema.properties.cluster.default);

export function gossipClusterCrd(): JsonSchema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: CRD_NAME, labels: { 'app.kubernetes.io/name': 'grapevine' } },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        kind: KIND,
        listKind: `${KIND}List`,
        plural: PLURAL,
        singular: KIND.toLowerCase(),
        shortNames: SHORT_NAMES,
        categories: CATEGORIES,
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: PRINTER_COLUMNS,
          schema: { openAPIV3Schema: openApiSchema() },
        },
      ],
    },
  };
}

const PRINTER_COLUMNS = [
  {
    name: 'Ready',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Ready")].status',
    description: 'The Ready condition.',
  },
  {
    name: 'Reason',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
    description: 'Why the cluster is (not) Ready.',
  },
  { name: 'Desired', type: 'integer', jsonPath: '.status.desiredAgents', description: 'Agents scheduled.' },
  {
    name: 'Agents-Ready',
    type: 'integer',
    jsonPath: '.status.readyAgents',
    description: 'Agents that passed their readiness probe.',
  },
  { name: 'Alive', type: 'integer', jsonPath: '.status.members.alive', description: 'Members seen alive.' },
  {
    name: 'Suspect',
    type: 'integer',
    jsonPath: '.status.members.suspect',
    description: 'Members under suspicion.',
  },
  {
    name: 'Converged',
    type: 'string',
    jsonPath: '.status.conditions[?(@.type=="Converged")].status',
    description: 'The Converged condition: enough agents share one membership view (with hysteresis).',
  },
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
];

function openApiSchema(): JsonSchema {
  const spec = described(
    toStructuralSchema(GossipClusterSpecSchema),
    'Desired state of the agents: one per node, as a DaemonSet.',
  );
  // `kubectl explain` shows a description for every spec field: the agent's groups have none of their own.
  for (const [path, text] of GROUP_DESCRIPTIONS) {
    const node = nodeAt(spec, path);
    node.description ??= text;
  }
  // The codec's own bound (limits.ts); the agent schema leaves it to the codec.
  nodeAt(spec, ['tags']).maxProperties = LIMITS.tagEntries;
  const cluster = nodeAt(spec, ['gossip', 'cluster']);
  cluster.description = `${String(cluster.description)} The value "${DEFAULT_CLUSTER}" means <namespace>/<name> of this GossipCluster (shortened with a hash beyond 64 characters), so two GossipClusters never accept each other's packets.`;

  const status = described(
    toStructuralSchema(GossipClusterStatusSchema),
    'Observed state, written by the operator.',
  );
  // One condition per type: lets the operator server-side-apply its conditions.
  Object.assign(nodeAt(status, ['conditions']), {
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
  });

  const root: JsonSchema = {
    type: 'object',
    description: `${KIND} runs Grapevine membership agents on every node and reports their view.`,
    properties: {
      apiVersion: {
        type: 'string',
        description: `The versioned schema of this object: ${GROUP}/${VERSION}.`,
      },
      kind: { type: 'string', description: `The REST resource this object represents: ${KIND}.` },
      // The apiserver refuses anything but `type` here (metadata is its own ObjectMeta, described by it).
      metadata: { type: 'object' },
      spec,
      status,
    },
    required: ['spec'],
  };
  stateDefaults(root);
  for (const r of CROSS_FIELD_RULES) {
    const node = nodeAt(root, r.at);
    const rules = (node['x-kubernetes-validations'] as JsonSchema[] | undefined) ?? [];
    rules.push({ rule: r.rule, message: r.message, ...(r.fieldPath ? { fieldPath: r.fieldPath } : {}) });
    node['x-kubernetes-validations'] = rules;
  }
  return root;
}

const GROUP_DESCRIPTIONS: ReadonlyArray<[string[], string]> = [
  [
    ['gossip'],
    "Protocol tunables of the agents (the agent config file's `gossip` section); defaults suit most clusters.",
  ],
  [['gossip', 'antiEntropy'], 'Periodic state exchange over TCP that repairs what rumors missed.'],
  [['gossip', 'directMail'], 'Point-to-point messages between agents.'],
];

/**
 * `kubectl explain` shows descriptions, not `default`: every defaulted field's description ends with
 * its default, written from the schema's own `default` so the two cannot disagree.
 */
function stateDefaults(node: JsonSchema): void {
  if ('default' in node) {
    const text = defaultText(node);
    const description = String(node.description ?? '').trim();
    if (!description.includes(text))
      node.description =
        `${description}${/[.!?]$/.test(description) || description === '' ? '' : '.'} ${text}`.trim();
  }
  for (const child of Object.values((node.properties as Record<string, JsonSchema> | undefined) ?? {}))
    stateDefaults(child);
  for (const key of ['items', 'additionalProperties'] as const) {
    const child = node[key];
    if (typeof child === 'object' && child !== null) stateDefaults(child as JsonSchema);
  }
}

/** "Default: 7946." — an object default of {} means "each field at its own default". */
export function defaultText(node: JsonSchema): string {
  const value = node.default;
  const empty = typeof value === 'object' && value !== null && Object.keys(value).length === 0;
  if (empty && node.properties !== undefined) return 'Default: {} (each field at its own default).';
  return `Default: ${JSON.stringify(value)}.`;
}

function described(schema: JsonSchema, description: string): JsonSchema {
  const { type, ...rest } = schema;
  return { type, description, ...rest };
}

/** The schema at `path` below `schema` (`[]`: list items); throws if a rename left a patch behind. */
function nodeAt(schema: JsonSchema, path: readonly string[]): JsonSchema {
  let node = schema;
  for (const key of path) {
    const next =
      key === '[]'
        ? (node.items as JsonSchema | undefined)
        : (node.properties as Record<string, JsonSchema> | undefined)?.[key];
    if (next === undefined) throw new Error(`CRD schema has no property ${path.join('.')}`);
    node = next;
  }
  return node;
}
