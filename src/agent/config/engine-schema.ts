// The single definition of the gossip engine's tunables. The agent config, the CRD's OpenAPI
// schema and the chart's values schema are all generated from this (TypeBox emits JSON Schema).
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { DEFAULT_EVENT_DEDUPE_MAX_ORIGINS, DEFAULT_EVENT_DEDUPE_MAX_PENDING } from '../state/event-dedupe.js';
import { DEFAULT_KV_MAX_BYTES, DEFAULT_KV_MAX_ENTRIES } from '../state/kv-store.js';

const Ms = (def: number, min: number, max: number, description: string) =>
  Type.Integer({ default: def, minimum: min, maximum: max, description: `${description} (milliseconds)` });

export const AntiEntropySchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Run periodic anti-entropy exchanges.' }),
    mode: Type.Union([Type.Literal('push'), Type.Literal('pull'), Type.Literal('push-pull')], {
      default: 'push-pull',
      description: 'Which direction state flows in an exchange.',
    }),
    intervalMs: Ms(30_000, 100, 3_600_000, 'Time between exchanges started by this node'),
    peerSelection: Type.Union([Type.Literal('random'), Type.Literal('ring')], {
      default: 'random',
      description: 'random: any live peer; ring: the next live node by name, so one sweep repairs everyone.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const DirectMailSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Send local updates straight to peers as well.' }),
    maxPeers: Type.Integer({
      default: 128,
      minimum: 0,
      maximum: 10_000,
      description: 'Send to every peer in clusters up to this size, to this many random peers beyond it.',
    }),
    maxAttempts: Type.Integer({
      default: 4,
      minimum: 1,
      maximum: 20,
      description: 'Sends before giving up.',
    }),
    retryBaseMs: Ms(500, 10, 60_000, 'First retry delay; doubles on each retry'),
    bufferSize: Type.Integer({
      default: 4096,
      minimum: 1,
      maximum: 1_000_000,
      description: 'Pending unacknowledged sends kept; the oldest is dropped (and counted) beyond this.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const EngineSchema = Type.Object(
  {
    cluster: Type.String({
      default: 'default',
      minLength: 1,
      maxLength: 64,
      description: 'Cluster name carried in every packet; packets of another cluster are dropped.',
    }),
    probeIntervalMs: Ms(1_000, 10, 60_000, 'Time between failure-detector probes'),
    probeTimeoutMs: Ms(500, 5, 60_000, 'Wait for a direct ack before probing indirectly'),
    indirectChecks: Type.Integer({
      default: 3,
      minimum: 0,
      maximum: 16,
      description: 'Peers asked to probe indirectly.',
    }),
    suspicionMult: Type.Integer({
      default: 2,
      minimum: 1,
      maximum: 100,
      description: 'Minimum suspicion timeout = suspicionMult × log10(N) × probe interval.',
    }),
    suspicionMaxTimeoutMult: Type.Integer({
      default: 6,
      minimum: 1,
      maximum: 100,
      description: 'Maximum suspicion timeout as a multiple of the minimum (Lifeguard).',
    }),
    suspicionConfirmations: Type.Integer({
      default: 2,
      minimum: 0,
      maximum: 16,
      description:
        'Independent confirmations after which a suspicion waits only the minimum timeout (Lifeguard); an unconfirmed one waits the maximum. 0: always the minimum.',
    }),
    refusedSuspicionTimeoutMs: Ms(
      1_000,
      0,
      3_600_000,
      "Once a member's host refused our fallback probe (nothing listens at its address: the process is gone), our suspicion of it expires after at most this long. Set it above the maximum suspicion timeout to treat a refusal like silence",
    ),
    awarenessMaxMultiplier: Type.Integer({
      default: 8,
      minimum: 1,
      maximum: 64,
      description: 'Upper bound of the local-health multiplier applied to probe interval and timeout.',
    }),
    retransmitMult: Type.Integer({
      default: 4,
      minimum: 1,
      maximum: 100,
      description: 'Each rumor is sent retransmitMult × ceil(log10(N+1)) times, then goes cold.',
    }),
    gossipIntervalMs: Ms(200, 5, 60_000, 'Time between rumor pushes'),
    gossipFanout: Type.Integer({ default: 3, minimum: 1, maximum: 64, description: 'Peers per rumor push.' }),
    gossipToTheDeadMs: Ms(
      30_000,
      0,
      86_400_000,
      'Keep gossiping to a dead member this long so it can refute',
    ),
    maxPacketBytes: Type.Integer({
      default: 1400,
      minimum: 512,
      maximum: 65_000,
      description: 'Largest UDP datagram sent; rumors are packed up to this size.',
    }),
    reconnectIntervalMs: Ms(
      10_000,
      100,
      3_600_000,
      'Try a dead member or a seed this often, to heal partitions (a live seed only while the view changes)',
    ),
    deadReapMs: Ms(3_600_000, 1_000, 604_800_000, 'Forget dead and left members after this long'),
    tombstoneTtlMs: Ms(86_400_000, 1_000, 2_592_000_000, 'Keep key/value deletions this long'),
    maxTagBytes: Type.Integer({
      default: 512,
      minimum: 0,
      maximum: 4096,
      description: 'Encoded size limit of tags.',
    }),
    maxPayloadBytes: Type.Integer({
      default: 512,
      minimum: 0,
      maximum: 1024,
      description: 'Size limit of a user event payload or a key/value value.',
    }),
    kvMaxEntries: Type.Integer({
      default: DEFAULT_KV_MAX_ENTRIES,
      minimum: 1,
      maximum: 10_000_000,
      description:
        'Most key/value entries held (tombstones included); new keys past it are refused (HTTP 422, or dropped and counted when they come from peers).',
    }),
    kvMaxBytes: Type.Integer({
      default: DEFAULT_KV_MAX_BYTES,
      minimum: 1024,
      maximum: 4 * 1024 * 1024 * 1024,
      description:
        'Most bytes of keys and values held; a write that would pass it is refused (HTTP 422, or dropped and counted from peers).',
    }),
    eventDedupeMaxOrigins: Type.Integer({
      default: DEFAULT_EVENT_DEDUPE_MAX_ORIGINS,
      minimum: 1,
      maximum: 10_000_000,
      description:
        'Event senders whose event ids are remembered for de-duplication; the least recently heard is forgotten past it (its events may then be delivered twice).',
    }),
    eventDedupeMaxPendingPerOrigin: Type.Integer({
      default: DEFAULT_EVENT_DEDUPE_MAX_PENDING,
      minimum: 1,
      maximum: 1_000_000,
      description:
        'Out-of-order event ids remembered per sender; past it the oldest gap is given up (a late event from it is dropped as a duplicate).',
    }),
    antiEntropy: AntiEntropySchema,
    directMail: DirectMailSchema,
  },
  { additionalProperties: false, default: {} },
);

export type EngineConfig = Static<typeof EngineSchema>;
export type AntiEntropyConfig = Static<typeof AntiEntropySchema>;
export type DirectMailConfig = Static<typeof DirectMailSchema>;

/** Cross-field rules that JSON Schema cannot express; each message names the fields. */
export function engineConfigProblems(c: EngineConfig): string[] {
  const problems: string[] = [];
  if (c.probeTimeoutMs >= c.probeIntervalMs)
    problems.push('probeTimeoutMs: must be less than probeIntervalMs');
  return problems;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'ConfigError';
  }
}

/** Fills defaults and validates; throws ConfigError naming each bad field. */
export function resolveEngineConfig(input: unknown = {}): EngineConfig {
  const withDefaults = Value.Default(EngineSchema, structuredClone(input ?? {}));
  const errors = [...Value.Errors(EngineSchema, withDefaults)].map(
    (e) => `${e.path.replace(/^\//, '').replace(/\//g, '.') || '(root)'}: ${e.message}`,
  );
  if (errors.length > 0) throw new ConfigError(errors);
  const config = withDefaults as EngineConfig;
  const problems = engineConfigProblems(config);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
