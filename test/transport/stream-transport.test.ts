import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { expect } from 'chai';
import { encodeFrameHeader } from '../../src/agent/transport/frame-decoder.js';
import { StreamTransport, type StreamTransportOptions } from '../../src/agent/transport/stream-transport.js';
import type { Channel } from '../../src/agent/transport/transport.js';

interface Got {
  from: string;
  bytes: Uint8Array;
  channel: Channel;
}

function collect(t: StreamTransport): Got[] {
  const got: Got[] = [];
  t.onReceive((from, bytes, channel) => got.push({ from, bytes, channel }));
  return got;
}

function collectErrors(t: StreamTransport): Array<{ to: string; channel: Channel; error: Error }> {
  const errors: Array<{ to: string; channel: Channel; error: Error }> = [];
  t.onSendError((to, channel, error) => errors.push({ to, channel, error }));
  return errors;
}

function collectPeerClosed(t: StreamTransport): string[] {
  const closed: string[] = [];
  t.onPeerClosed((to) => closed.push(to));
  return closed;
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for condition');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

describe('StreamTransport (real TCP)', () => {
  const open: StreamTransport[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });
  async function bind(addr = '127.0.0.1:0', opts: StreamTransportOptions = {}) {
    const t = await StreamTransport.bind(addr, opts);
    open.push(t);
    return t;
  }

  it('carries 5 MB frames both ways intact, over one pooled connection per direction', async () => {
    const a = await bind();
    const b = await bind();
    const gotA = collect(a);
    const gotB = collect(b);
    const toB = [randomBytes(5 * 1024 * 1024), randomBytes(5 * 1024 * 1024), randomBytes(10)];
    const toA = [randomBytes(5 * 1024 * 1024), new Uint8Array(0)];
    for (const f of toB) a.send(b.localAddr, f, 'stream');
    for (const f of toA) b.send(a.localAddr, f, 'stream');
    await until(() => gotB.length === 3 && gotA.length === 2);
    // Ordered per peer, byte for byte.
    for (const [i, g] of gotB.entries())
      expect(sameBytes(g.bytes, toB[i]!), `frame ${i} to b`).to.equal(true);
    for (const [i, g] of gotA.entries())
      expect(sameBytes(g.bytes, toA[i]!), `frame ${i} to a`).to.equal(true);
    expect(gotB[0]!.channel).to.equal('stream');
    // from is the sender's ephemeral source address, not its listening address.
    expect(gotB[0]!.from).to.match(/^127\.0\.0\.1:\d+$/);
    expect(gotB[0]!.from).to.not.equal(a.localAddr);
    expect(a.stats.connectionsOpened).to.equal(1);
    expect(b.stats.connectionsAccepted).to.equal(1);
    expect(b.stats.bytesReceived).to.equal(10 * 1024 * 1024 + 10);
    a.send(b.localAddr, Uint8Array.of(7), 'stream');
    await until(() => gotB.length === 4);
    expect(a.stats.connectionsOpened).to.equal(1);
  });

  it('reconnects on demand after the peer restarts on the same port', async () => {
    const a = await bind();
    const b1 = await StreamTransport.bind('127.0.0.1:0');
    const got1 = collect(b1);
    a.send(b1.localAddr, Uint8Array.of(1), 'stream');
    await until(() => got1.length === 1);
    expect(a.outboundCount).to.equal(1);
    const addr = b1.localAddr;
    await b1.close();
    // The pooled connection is forgotten as soon as the peer's FIN arrives.
    await until(() => a.outboundCount === 0);
    const b2 = await bind(addr);
    const got2 = collect(b2);
    const errors = collectErrors(a);
    a.send(addr, Uint8Array.of(2), 'stream');
    await until(() => got2.length === 1);
    expect([...got2[0]!.bytes]).to.deep.equal([2]);
    expect(a.stats.connectionsOpened).to.equal(2);
    expect(errors).to.deep.equal([]);
  });

  it('reports every queued frame to onSendError when the connection is refused, without crashing', async () => {
    const a = await bind();
    const gone = await StreamTransport.bind('127.0.0.1:0');
    const deadAddr = gone.localAddr;
    await gone.close();
    const errors = collectErrors(a);
    for (let i = 0; i < 3; i++) a.send(deadAddr, Uint8Array.of(i), 'stream');
    await until(() => errors.length === 3);
    expect(errors.every((e) => e.to === deadAddr && e.channel === 'stream')).to.equal(true);
    expect((errors[0]!.error as NodeJS.ErrnoException).code).to.equal('ECONNREFUSED');
    expect(a.outboundCount).to.equal(0);
    expect(a.stats.sendErrors).to.equal(3);
  });

  it('disconnects a peer that announces a frame over the limit, and counts it', async () => {
    const onError: string[] = [];
    const incidents: string[] = [];
    const b = await bind('127.0.0.1:0', {
      maxFrameBytes: 1024,
      onError: (_e, c) => onError.push(c),
      onIncident: (i) => incidents.push(i.kind),
    });
    const got = collect(b);
    const { port } = parseHostPort(b.localAddr);
    const raw = net.connect({ host: '127.0.0.1', port });
    const closed = new Promise<void>((resolve) => raw.on('close', () => resolve()));
    raw.on('error', () => {});
    await new Promise<void>((resolve) => raw.on('connect', () => resolve()));
    raw.write(Buffer.concat([encodeFrameHeader(1024), Buffer.alloc(1024, 1)]));
    raw.write(encodeFrameHeader(1025));
    await closed;
    expect(got).to.have.length(1);
    expect(b.stats.oversizeFrames).to.equal(1);
    // A peer's mistake is an incident (one log line, no stack trace), not a transport error.
    expect(incidents).to.deep.equal(['oversize-frame']);
    expect(onError).to.deep.equal([]);
    await until(() => b.inboundCount === 0);
  });

  it('refuses to send a frame over maxFrameBytes', async () => {
    const a = await bind('127.0.0.1:0', { maxFrameBytes: 100 });
    const errors = collectErrors(a);
    a.send('127.0.0.1:9', new Uint8Array(101), 'stream');
    a.send('127.0.0.1:9', new Uint8Array(1), 'datagram');
    expect(errors.map((e) => e.error.message)).to.deep.equal([
      'frame of 101 bytes exceeds maxFrameBytes 100',
      'stream transport has no datagram channel',
    ]);
    expect(a.stats.connectionsOpened).to.equal(0);
  });

  it('bounds what is queued while connecting', async () => {
    const a = await bind('127.0.0.1:0', { maxPendingBytes: 1000 });
    const b = await bind();
    const got = collect(b);
    const errors = collectErrors(a);
    a.send(b.localAddr, new Uint8Array(600), 'stream');
    a.send(b.localAddr, new Uint8Array(600), 'stream'); // over the 1000-byte queue: refused
    a.send(b.localAddr, new Uint8Array(400), 'stream');
    expect(errors.map((e) => e.error.message)).to.deep.equal([
      `send queue to ${b.localAddr} is full (600 bytes pending)`,
    ]);
    await until(() => got.length === 2);
    expect(got.map((g) => g.bytes.length)).to.deep.equal([600, 400]);
  });

  it('closes idle outbound connections and reconnects on the next send', async () => {
    const a = await bind('127.0.0.1:0', { idleTimeoutMs: 100 });
    const b = await bind();
    const got = collect(b);
    const peerClosed = collectPeerClosed(a);
    a.send(b.localAddr, Uint8Array.of(1), 'stream');
    await until(() => got.length === 1);
    expect(a.outboundCount).to.equal(1);
    await until(() => a.outboundCount === 0, 2000);
    expect(a.stats.idleClosed).to.equal(1);
    expect(peerClosed, 'our own idle close is not the peer going away').to.deep.equal([]);
    await until(() => b.inboundCount === 0);
    a.send(b.localAddr, Uint8Array.of(2), 'stream');
    await until(() => got.length === 2);
    expect(a.stats.connectionsOpened).to.equal(2);
  });

  it('reports a peer that ends an established connection to onPeerClosed, once', async () => {
    const a = await bind();
    const b = await bind();
    const got = collect(b);
    const peerClosed = collectPeerClosed(a);
    a.send(b.localAddr, Uint8Array.of(1), 'stream');
    await until(() => got.length === 1);
    // b goes away the way a killed process does: its end of every connection is closed.
    await b.close();
    await until(() => peerClosed.length === 1);
    await until(() => a.outboundCount === 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(peerClosed).to.deep.equal([b.localAddr]);
    expect(a.stats.peerClosed).to.equal(1);
  });

  it('a refused connection is a send error, not a peer closing', async () => {
    const a = await bind();
    const gone = await bind();
    const to = gone.localAddr;
    await gone.close();
    const errors = collectErrors(a);
    const peerClosed = collectPeerClosed(a);
    a.send(to, Uint8Array.of(1), 'stream');
    await until(() => errors.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(peerClosed).to.deep.equal([]);
  });

  it('reports a reset of an established connection once, not as a crash', async () => {
    const a = await bind();
    // A peer that accepts and then resets every connection as soon as data arrives.
    const server = net.createServer((s) => s.once('data', () => s.resetAndDestroy()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const to = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const errors = collectErrors(a);
    const peerClosed = collectPeerClosed(a);
    try {
      a.send(to, Uint8Array.of(1), 'stream');
      await until(() => errors.length === 1);
      expect((errors[0]!.error as NodeJS.ErrnoException).code).to.equal('ECONNRESET');
      await until(() => a.outboundCount === 0);
      await new Promise((r) => setTimeout(r, 50));
      expect(errors).to.have.length(1);
      expect(peerClosed).to.deep.equal([to]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

function parseHostPort(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i), port: Number(addr.slice(i + 1)) };
}
