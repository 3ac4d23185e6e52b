// Issue 8, finding 8, on real sockets: a state larger than one stream frame (16 MiB) reaches a
// joining node, and a stream send that fails aborts the anti-entropy session, is counted and is
// retried on the next round. On the old code the seed's whole state went out as one ~23 MB
// ae-entries frame, the transport refused it, nobody was told and the joiner never got the keys.
import net from 'node:net';
import { expect } from 'chai';
import { resolveEngineConfig } from '../../src/agent/config/engine-schema.js';
import { emptyStores } from '../../src/agent/core/node-stores.js';
import { type LocalNode, startLocalNode } from '../../src/agent/runtime/local-node.js';
import { injectDivergentKv } from '../../src/agent/sim/divergence.js';
import { eventually } from './helpers.js';

const KEYS = 100_000;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('hardening: anti-entropy state larger than a frame (real TCP)', function () {
  this.timeout(180_000);
  const nodes: LocalNode[] = [];
  const errors: string[] = [];
  const start = async (o: Omit<Parameters<typeof startLocalNode>[0], 'onError'>) => {
    const n = await startLocalNode({
      ...o,
      onError: (err, ctx) => {
        if (ctx.startsWith('core')) errors.push(`${o.name} ${ctx}: ${String(err)}`);
      },
    });
    nodes.push(n);
    return n;
  };
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.close();
    expect(errors).to.deep.equal([]);
  });

  it(`a node joining a seed that holds ${KEYS} keys (~23 MB) ends with all of them`, async () => {
    const config = resolveEngineConfig({});
    // The seed's state is written straight into the stores it runs on (no rumors to 0 peers).
    const stores = emptyStores(config);
    const seed = await start({ name: 'big-seed', bind: '127.0.0.1:0', config, stores });
    const value = new TextEncoder().encode('v'.repeat(200));
    seed.run((_node, now) => {
      for (let i = 0; i < KEYS; i++) {
        injectDivergentKv(stores, { key: `key-${i}`, value, clock: 1, writer: 'big-seed', at: 1 }, now);
      }
    });
    let received = 0;
    const joiner = await start({
      name: 'joiner',
      bind: '127.0.0.1:0',
      config,
      seeds: [seed.addr],
      onEvent: (e) => {
        if (e.type === 'kv' && e.via === 'anti-entropy') received++;
      },
    });
    await eventually('all keys on the joiner', async () => received >= KEYS, 120_000);
    expect(joiner.node.kvList('key-').length).to.equal(KEYS);
    expect(joiner.node.kvGet('key-99999')).to.deep.equal(value);
    expect(joiner.node.member('big-seed')?.state).to.equal('alive');
    // The joiner's own record reaches the seed in its answer to the seed's last packet.
    await eventually('the seed sees the joiner', async () => seed.node.member('joiner')?.state === 'alive');
  });

  it('a failed send aborts the session, is counted, and the next round retries that peer', async () => {
    const port = await freePort(); // nothing listens here yet: the ae-start is refused
    const config = resolveEngineConfig({ antiEntropy: { intervalMs: 1_000 } });
    const a = await start({ name: 'a', bind: '127.0.0.1:0', config });
    a.run((node, now) => node.startAntiEntropy(now, `127.0.0.1:${port}`));
    await eventually('the refused session is aborted', async () => a.node.stats.antiEntropyAborted === 1);
    const b = await start({ name: 'b', bind: `127.0.0.1:${port}`, config });
    await eventually('the retry reached b', async () => b.node.member('a')?.state === 'alive', 30_000);
    expect(a.node.stats.antiEntropyAborted).to.equal(1);
  });
});
