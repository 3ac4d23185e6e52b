import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import {
  deleteAllNamespaces,
  type NetNamespace,
  NetNamespace as Netns,
  netnsAvailable,
} from '../support/netns.js';

// Runs inside the namespace: for each [from, to] pair, `count` datagrams are sent from a socket
// bound to `from` to one bound on `to`; prints how many each receiver got. Paced in small bursts
// so socket buffers never overflow and only the nft rules cause loss.
const UDP_COUNTER = `
const dgram = require('node:dgram');
const [pairs, count] = JSON.parse(process.argv[1]);
const bound = (host) => new Promise((resolve) => {
  const s = dgram.createSocket('udp4');
  s.received = 0;
  s.on('message', () => s.received++);
  s.bind(0, host, () => resolve(s));
});
(async () => {
  const flows = [];
  for (const [from, to] of pairs) flows.push({ tx: await bound(from), rx: await bound(to), to });
  for (let sent = 0; sent < count; sent += 50) {
    for (const f of flows) {
      for (let i = 0; i < 50 && sent + i < count; i++) f.tx.send(Buffer.alloc(64), f.rx.address().port, f.to);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise((r) => setTimeout(r, 200));
  console.log(JSON.stringify(flows.map((f) => f.rx.received)));
  process.exit(0);
})();
`;

async function countDatagrams(
  ns: NetNamespace,
  pairs: Array<[string, string]>,
  count: number,
): Promise<number[]> {
  const { stdout } = await ns.run(process.execPath, ['-e', UDP_COUNTER, JSON.stringify([pairs, count])]);
  return JSON.parse(stdout) as number[];
}

describe('test/support/netns (real namespaces and nftables)', function () {
  this.timeout(30_000);
  let ns: NetNamespace;

  before(async function () {
    const reason = await netnsAvailable();
    if (reason !== null) this.skip();
    ns = await Netns.create();
  });
  after(async () => {
    await deleteAllNamespaces();
  });
  afterEach(async () => {
    if (ns) await ns.flush();
  });

  it('has lo up and delivers everything without rules', async () => {
    const [received] = await countDatagrams(ns, [['127.0.0.1', '127.0.0.1']], 500);
    expect(received).to.equal(500);
  });

  it('dropRandom(10) drops about 10% of 2,000 UDP datagrams', async () => {
    await ns.dropRandom(10);
    expect(await ns.rules()).to.match(/meta l4proto udp numgen random mod 10000 < 1000 drop/);
    const [received] = await countDatagrams(ns, [['127.0.0.1', '127.0.0.1']], 2000);
    expect(received).to.be.within(1600, 1900);
  });

  it('dropBetween blocks one direction between two loopback addresses, and flush lifts it', async () => {
    await ns.dropBetween('127.0.0.2/32', '127.0.0.3/32');
    const [twoToThree, threeToTwo] = await countDatagrams(
      ns,
      [
        ['127.0.0.2', '127.0.0.3'],
        ['127.0.0.3', '127.0.0.2'],
      ],
      200,
    );
    expect(twoToThree).to.equal(0);
    expect(threeToTwo).to.equal(200);
    await ns.flush();
    const [after] = await countDatagrams(ns, [['127.0.0.2', '127.0.0.3']], 200);
    expect(after).to.equal(200);
  });

  it('isolates namespaces: a rule in one does not affect another', async () => {
    const other = await Netns.create();
    try {
      await ns.dropRandom(100);
      const [inOther] = await countDatagrams(other, [['127.0.0.1', '127.0.0.1']], 100);
      const [inThis] = await countDatagrams(ns, [['127.0.0.1', '127.0.0.1']], 100);
      expect(inOther).to.equal(100);
      expect(inThis).to.equal(0);
    } finally {
      await other.delete();
    }
    const { stdout } = await ns.exec('true');
    expect(stdout).to.equal('');
  });

  it('kills spawned processes and removes the namespace on delete()', async () => {
    const temp = await Netns.create();
    const child = temp.spawn('sleep', ['60']);
    const exited = new Promise<string | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    await temp.delete();
    expect(await exited).to.equal('SIGKILL');
    const list = await Netns.listNames();
    expect(list).to.not.include(temp.name);
    expect(list).to.include(ns.name);
  });

  it('rejects CIDRs that could inject nft syntax', async () => {
    let err: unknown = null;
    try {
      await ns.dropBetween('127.0.0.2; flush ruleset', '127.0.0.3');
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).to.match(/invalid CIDR/);
  });

  it('lets a real StreamTransport hit its connect timeout when SYNs are dropped', async () => {
    await ns.dropBetween('127.0.0.0/8', '127.0.0.9/32', { protocol: 'tcp' });
    const dir = await mkdtemp(join(tmpdir(), 'gv-netns-'));
    const transportUrl = pathToFileURL(join(process.cwd(), 'src/agent/transport/stream-transport.ts')).href;
    const script = join(dir, 'connect-timeout.mts');
    await writeFile(
      script,
      `import { StreamTransport } from '${transportUrl}';
const t = await StreamTransport.bind('127.0.0.1:0', { connectTimeoutMs: 300 });
const errors: string[] = [];
const start = performance.now();
t.onSendError((_to, _channel, err) => errors.push((err as NodeJS.ErrnoException).code ?? err.message));
t.send('127.0.0.9:7000', Uint8Array.of(1), 'stream');
t.send('127.0.0.9:7000', Uint8Array.of(2), 'stream');
while (errors.length < 2 && performance.now() - start < 5000) await new Promise((r) => setTimeout(r, 10));
console.log(JSON.stringify({ errors, ms: performance.now() - start, open: t.outboundCount }));
await t.close();
`,
    );
    try {
      const { stdout } = await ns.run(process.execPath, ['--import', 'tsx', script]);
      const result = JSON.parse(stdout) as { errors: string[]; ms: number; open: number };
      expect(result.errors).to.deep.equal(['ETIMEDOUT', 'ETIMEDOUT']);
      expect(result.ms).to.be.within(290, 2000);
      expect(result.open).to.equal(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
