// The agent's configuration file, in exactly the YAML shape the operator writes into a ConfigMap.
// Defined once: it validates the agent's config, and the operator generates the CRD's OpenAPI schema
// and the chart's values schema from it (the protocol tunables nest the engine schema as `gossip`).
import { type Static, Type } from '@sinclair/typebox';
import { DEFAULT_MAX_EVENT_QUEUE_BYTES, DEFAULT_MAX_EVENT_SUBSCRIBERS } from '../http/event-stream.js';
import { DEFAULT_MAX_INBOUND, DEFAULT_MAX_INBOUND_PER_SOURCE } from '../transport/stream-transport.js';
import { LIMITS } from '../wire/limits.js';
import { MEMBER_NAME_PATTERN, MEMBER_NAME_RULE } from '../wire/member-name.js';
import { EngineSchema } from './engine-schema.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

const HostPort = (def: string | undefined, description: string) =>
  Type.String({
    minLength: 3,
    maxLength: 300,
    pattern: '^(\\[[0-9A-Fa-f:.%a-zA-Z]+\\]|[^:\\[\\]\\s]+):[0-9]{1,5}$',
    description,
    ...(def ? { default: def } : {}),
  });

export const AgentConfigSchema = Type.Object(
  {
    name: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: LIMITS.name,
        pattern: MEMBER_NAME_PATTERN,
        description: `Node name (default: $NODE_NAME, else the host name): ${MEMBER_NAME_RULE}.`,
      }),
    ),
    bind: HostPort('0.0.0.0:7946', 'Gossip address to bind, UDP and TCP (HOST:PORT).'),
    advertise: Type.Optional(
      HostPort(
        undefined,
        'Address peers reach this node on, IP:PORT (default: $POD_IP with the bind port, else the bind address). An IP, not a host name: peers never resolve names that arrive in packets.',
      ),
    ),
    http: HostPort('127.0.0.1:7947', 'HTTP API and metrics address (HOST:PORT).'),
    join: Type.Array(HostPort(undefined, 'A seed HOST:PORT.'), {
      default: [],
      maxItems: 64,
      description: 'Seeds to join.',
    }),
    retryJoin: Type.Optional(
      Type.Boolean({
        description:
          'Keep retrying `join` seeds until one answers (from a quarter of the probe interval, doubling up to gossip.reconnectIntervalMs) instead of exiting with status 1 when none can be reached at start.',
      }),
    ),
    joinDns: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 253,
        description:
          'DNS name (e.g. a headless Service) whose A/SRV records are seeds; retried until joined.',
      }),
    ),
    eventHandler: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        description:
          'Command (run by /bin/sh -c) for every membership change and user event: GRAPEVINE_* variables describe it, the payload is on stdin (docs/api.md#event-handlers).',
      }),
    ),
    eventHandlerTimeoutMs: Type.Optional(
      Type.Integer({
        minimum: 100,
        maximum: 3_600_000,
        // No schema default: only meaningful with eventHandler, and the agent applies it (agent.ts).
        description:
          'An event-handler run is killed (with its process group) after this long (milliseconds). Default 30000.',
      }),
    ),
    eventHandlerConcurrency: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 64,
        description:
          'Event-handler runs at once; up to 256 more events wait, later ones are dropped and counted. Default 4.',
      }),
    ),
    keyringFile: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'File with base64 AES-256 keys, one per line; the first encrypts.',
      }),
    ),
    apiTokenFile: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'File holding a bearer token that the HTTP API then requires.',
      }),
    ),
    // Optional without a schema default (the default lives with the code that enforces it and is
    // named in the description), so configs written by the operator stay as they are.
    requireApiToken: Type.Optional(
      Type.Boolean({
        description:
          'Refuse to start without apiTokenFile, so the write routes can never be left open (the operator sets it). Default false.',
      }),
    ),
    maxEventSubscribers: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10_000,
        description: `Concurrent GET /v1/events streams; more are refused with 503. Default ${DEFAULT_MAX_EVENT_SUBSCRIBERS}.`,
      }),
    ),
    maxEventQueueBytes: Type.Optional(
      Type.Integer({
        minimum: 4_096,
        maximum: 268_435_456,
        description: `Bytes queued for one event stream that is not reading; past this it is disconnected. Default ${DEFAULT_MAX_EVENT_QUEUE_BYTES}.`,
      }),
    ),
    maxInboundConnections: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100_000,
        description: `Open inbound gossip TCP connections; more are closed at once. Default ${DEFAULT_MAX_INBOUND}.`,
      }),
    ),
    maxInboundConnectionsPerSource: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100_000,
        description: `Open inbound gossip TCP connections from one IP address; more are closed at once. Default ${DEFAULT_MAX_INBOUND_PER_SOURCE}.`,
      }),
    ),
    logLevel: Type.Union(
      LOG_LEVELS.map((l) => Type.Literal(l)),
      { default: 'info', description: 'Log level.' },
    ),
    logFormat: Type.Optional(
      Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('text')], {
        default: 'auto',
        description: 'Log format: JSON lines, readable text, or auto (text on a terminal, else JSON).',
      }),
    ),
    // Counts and lengths from LIMITS (what the codec accepts); UTF-8 byte sizes are checked on load.
    tags: Type.Record(
      Type.String({ minLength: 1, maxLength: LIMITS.tagKey }),
      Type.String({ maxLength: LIMITS.tagValue }),
      {
        default: {},
        maxProperties: LIMITS.tagEntries,
        description: `Metadata gossiped with this node (at most ${LIMITS.tagEntries} entries; size-bounded by gossip.maxTagBytes).`,
      },
    ),
    gossip: EngineSchema,
  },
  { additionalProperties: false },
);

export type AgentConfig = Static<typeof AgentConfigSchema>;
