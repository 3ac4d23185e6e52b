// A child process hosting one or more real gossip nodes on real sockets, controlled by JSON lines on
// stdin (one request per line, one response per line on stdout). Integration tests run several of
// these so they can kill -9 or SIGSTOP a node's whole process.
import { createInterface } from 'node:readline';
import { resolveEngineConfig } from '../../src/agent/config/engine-schema.js';
import { emptyStores, type NodeStores } from '../../src/agent/core/node-stores.js';
import { type LocalNode, startLocalNode } from '../../src/agent/runtime/local-node.js';
import { injectDivergentKv } from '../../src/agent/sim/divergence.js';
import { Keyring } from '../../src/agent/wire/keyring.js';

export interface HostSpec {
  nodes: Array<{ name: string; bind: string }>;
  seeds: string[];
  engine: Record<string, unknown>;
  keys?: string[];
}

export interface HostRequest {
  id: number;
  cmd: string;
  node?: string;
  [arg: string]: unknown;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as HostSpec;
const config = resolveEngineConfig(spec.engine);
const nodes = new Map<string, LocalNode>();
/** Each node's state containers, kept to inject divergence ('inject'). */
const stores = new Map<string, NodeStores>();
const userEvents = new Map<string, number>();
const coreErrors: string[] = [];
const enc = new TextEncoder();
const dec = new TextDecoder();

function reply(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

async function start(name: string, bind: string, keys?: string[]): Promise<LocalNode> {
  const own = emptyStores(config);
  const n = await startLocalNode({
    name,
    bind,
    config,
    stores: own,
    keyring: keys ? Keyring.fromBase64(keys) : null,
    seeds: spec.seeds.filter((s) => s !== bind),
    onEvent: (e) => {
      if (e.type === 'user-event') userEvents.set(name, (userEvents.get(name) ?? 0) + 1);
    },
    onError: (err, ctx) => {
      if (ctx.startsWith('core')) coreErrors.push(`${name} ${ctx}: ${String(err)}`);
    },
  });
  nodes.set(name, n);
  stores.set(name, own);
  return n;
}

function need(req: HostRequest): LocalNode {
  const n = nodes.get(String(req.node));
  if (!n) throw new Error(`no node ${req.node}`);
  return n;
}

async function handle(req: HostRequest): Promise<unknown> {
  switch (req.cmd) {
    case 'members':
      return need(req)
        .node.members()
        .map((m) => ({ ...m, tags: undefined }));
    case 'digest':
      return need(req).node.viewDigest();
    case 'stats':
      return need(req).node.stats;
    case 'kv-put':
      return need(req).run((n, now) => void n.kvPut(String(req.key), enc.encode(String(req.value)), now));
    case 'kv-get': {
      const v = need(req).node.kvGet(String(req.key));
      return v === undefined ? null : dec.decode(v);
    }
    case 'inject':
      return need(req).run((n, now) =>
        injectDivergentKv(
          stores.get(n.name)!,
          {
            key: String(req.key),
            value: enc.encode(String(req.value)),
            clock: Number(req.clock),
            writer: n.name,
            at: Math.floor(now),
          },
          now,
        ),
      );
    case 'fire':
      return need(req).run((n, now) =>
        n.fireEvent(String(req.name), enc.encode(String(req.payload ?? '')), now),
      );
    case 'events':
      return userEvents.get(String(req.node)) ?? 0;
    case 'leave':
      return need(req).run((n, now) => n.leave(now));
    case 'set-keys':
      return need(req).run((n) => n.setKeyring(Keyring.fromBase64(req.keys as string[])));
    case 'core-errors':
      return coreErrors;
    case 'close': {
      const n = need(req);
      nodes.delete(n.node.name);
      await n.close();
      return null;
    }
    default:
      throw new Error(`unknown command ${req.cmd}`);
  }
}

async function main(): Promise<void> {
  for (const n of spec.nodes) await start(n.name, n.bind, spec.keys);
  reply({ ready: true, pid: process.pid, addrs: [...nodes.values()].map((n) => n.addr) });
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const req = JSON.parse(line) as HostRequest;
    handle(req).then(
      (result) => reply({ id: req.id, ok: true, result }),
      (err: unknown) => reply({ id: req.id, ok: false, error: String(err) }),
    );
  });
  // The test process is gone: close quietly rather than linger.
  rl.on('close', () => process.exit(0));
}

main().catch((err: unknown) => {
  process.stderr.write(`node-host failed: ${String(err)}\n`);
  process.exit(1);
});
