// Shared pieces of the hardening tests: real agent processes on loopback, forged packets, metrics.
import dgram from 'node:dgram';
import { encodeMessage } from '../../src/agent/wire/message-codec.js';
import type { KvEntry } from '../../src/agent/wire/messages.js';
import { encodePacket } from '../../src/agent/wire/packet-codec.js';
import { AgentProcess } from '../support/agent-process.js';

export const FAST = ['--probe-interval-ms', '300', '--probe-timeout-ms', '150', '--gossip-interval-ms', '60'];

export const agentArgs = (name: string, ...more: string[]) => [
  '--name',
  name,
  '--bind',
  '127.0.0.1:0',
  '--http',
  '127.0.0.1:0',
  ...FAST,
  ...more,
];

export { metric } from '../support/agent-process.js';

/** Sends one plaintext packet carrying a key/value rumor, as any host on the network could. */
export async function sendForgedKv(to: string, entry: KvEntry, cluster = 'default'): Promise<void> {
  const bytes = encodePacket(
    cluster,
    { name: 'forger', generation: 1, addr: '127.0.0.1:9', seq: 1 },
    [encodeMessage({ t: 'kv', rumor: { origin: 'forger', originTime: Date.now(), hops: 0 }, entry })],
    null,
  );
  const [host, port] = [to.slice(0, to.lastIndexOf(':')), Number(to.slice(to.lastIndexOf(':') + 1))];
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) =>
    socket.send(bytes, port, host, (err) => (err ? reject(err) : resolve())),
  );
  socket.close();
}

export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class Agents {
  private readonly all: AgentProcess[] = [];
  async start(args: string[], env: Record<string, string> = {}): Promise<AgentProcess> {
    const a = await AgentProcess.start(args, env);
    this.all.push(a);
    return a;
  }
  async stopAll(): Promise<void> {
    for (const a of this.all.splice(0)) await a.stop('SIGKILL');
  }
}
