// A GossipNode on real sockets: binds UDP+TCP on one address, drives the core with the runner and
// forwards its events. The agent process and the integration tests both start nodes this way.
import type { EngineConfig } from '../config/engine-schema.js';
import { GossipNode } from '../core/gossip-node.js';
import type { NodeStores } from '../core/node-stores.js';
import type { CoreEvent } from '../core/types.js';
import { NetTransport } from '../transport/net-transport.js';
import type { StreamTransportOptions } from '../transport/stream-transport.js';
import { isConnectionRefused } from '../transport/transport-handlers.js';
import type { Keyring } from '../wire/keyring.js';
import type { Addr } from '../wire/messages.js';
import { decodePacket } from '../wire/packet-codec.js';
import { monotonicNow } from './clock.js';
import { NodeRunner } from './node-runner.js';
import { createRng, cryptoSeed } from './rng.js';

export interface LocalNodeOptions {
  name: string;
  bind: string;
  advertise?: string;
  config: EngineConfig;
  keyring?: Keyring | null;
  tags?: Record<string, string>;
  seeds?: Addr[];
  /** Default: the start time, so a restart under the same name is recognised as newer. */
  generation?: number;
  seed?: number;
  onEvent?: (e: CoreEvent) => void;
  /** The core's state containers (default: fresh ones); a test keeps them to inject divergence. */
  stores?: NodeStores;
  onError?: (error: unknown, context: string) => void;
  /** Inbound TCP limits and where their refusals go (the authenticator is supplied here). */
  stream?: Pick<StreamTransportOptions, 'maxInbound' | 'maxInboundPerSource' | 'onIncident'>;
}

export interface LocalNode {
  readonly runner: NodeRunner<GossipNode>;
  readonly node: GossipNode;
  readonly addr: Addr;
  /** Runs an API call on the core at the current time (and re-arms its timer). */
  run<T>(fn: (node: GossipNode, now: number) => T): T;
  /** Replaces the keyring of the core and of the transport's check of new connections. */
  setKeyring(keyring: Keyring | null): void;
  close(): Promise<void>;
}

export async function startLocalNode(o: LocalNodeOptions): Promise<LocalNode> {
  let keyring = o.keyring ?? null;
  const transport = await NetTransport.bind(o.bind, {
    advertise: o.advertise,
    maxDatagramBytes: o.config.maxPacketBytes,
    onError: (err, ctx) => o.onError?.(err, ctx),
    ...o.stream,
    // A connection is trusted once a frame decodes as a packet of our cluster (sealed with our key,
    // when there is a keyring); until then it may only send small frames. The core decodes it again.
    authenticate: (frame) => {
      try {
        return decodePacket(frame, { cluster: o.config.cluster, keyring, maxBytes: frame.length }).ok;
      } catch {
        return false;
      }
    },
  });
  const runner = new NodeRunner<GossipNode>({
    transport,
    createCore: (out, now) =>
      new GossipNode(
        {
          name: o.name,
          addr: transport.localAddr,
          generation: o.generation ?? Math.floor(monotonicNow()),
          config: o.config,
          tags: o.tags,
          keyring: o.keyring ?? null,
        },
        { rng: createRng(o.seed ?? cryptoSeed()), out, ...(o.stores ? { stores: o.stores } : {}) },
        now,
      ),
    onEvent: o.onEvent,
    // Reported later, not inside the send that failed: the core may be in the middle of a turn.
    onSendError: (to, channel, error) =>
      setImmediate(() => {
        if (!runner.isClosed) {
          runner.run((now, core) => core.sendFailed(to, channel, now, isConnectionRefused(error)));
        }
      }),
    onPeerClosed: (to) =>
      setImmediate(() => {
        if (!runner.isClosed) runner.run((now, core) => core.peerClosed(to, now));
      }),
    onCoreError: (err, phase) => o.onError?.(err, `core-${phase}`),
  });
  const node = runner.core;
  if (o.seeds && o.seeds.length > 0) runner.run((now, core) => core.join(o.seeds!, now));
  return {
    runner,
    node,
    addr: transport.localAddr,
    run: (fn) => runner.run((now, core) => fn(core, now)),
    setKeyring: (next) => {
      keyring = next;
      runner.run((_now, core) => core.setKeyring(next));
    },
    close: () => runner.close(),
  };
}
