// Issue 8, finding 4: the inbound side of StreamTransport on real TCP sockets — connection limits
// (total and per source address), a small frame limit until a frame authenticates, a deadline per
// frame (not per byte), and one incident per refusal instead of an error with a stack trace.
import net from 'node:net';
import { expect } from 'chai';
import { encodeFrameHeader } from '../../src/agent/transport/frame-decoder.js';
import {
  type StreamIncident,
  StreamTransport,
  type StreamTransportOptions,
} from '../../src/agent/transport/stream-transport.js';

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for condition');
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Raw {
  socket: net.Socket;
  closed: boolean;
}

/** A raw TCP client from `localAddress` (any 127/8 address works on lo). */
async function rawConnect(port: number, localAddress = '127.0.0.1'): Promise<Raw> {
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  const raw: Raw = { socket, closed: false };
  socket.on('error', () => {});
  socket.on('close', () => {
    raw.closed = true;
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return raw;
}

const AUTH = new Uint8Array([0x47, 0x56]); // "GV": what the test authenticator accepts
const startsWithAuth = (f: Uint8Array) => f[0] === AUTH[0] && f[1] === AUTH[1];
const frame = (body: Uint8Array) => Buffer.concat([encodeFrameHeader(body.length), body]);

describe('StreamTransport inbound limits (real TCP)', () => {
  const open: StreamTransport[] = [];
  const raws: Raw[] = [];
  afterEach(async () => {
    for (const r of raws.splice(0)) r.socket.destroy();
    await Promise.all(open.splice(0).map((t) => t.close()));
  });
  async function bind(opts: StreamTransportOptions) {
    const incidents: StreamIncident[] = [];
    const errors: string[] = [];
    const t = await StreamTransport.bind('127.0.0.1:0', {
      onIncident: (i) => incidents.push(i),
      onError: (e) => errors.push(e.message),
      ...opts,
    });
    open.push(t);
    const got: Uint8Array[] = [];
    t.onReceive((_from, bytes) => got.push(bytes));
    return { t, incidents, errors, got, port: t.boundPort };
  }
  async function connect(port: number, localAddress?: string): Promise<Raw> {
    const r = await rawConnect(port, localAddress);
    raws.push(r);
    return r;
  }

  it('closes connections past maxInbound and past maxInboundPerSource at once, and counts them', async () => {
    const b = await bind({ maxInbound: 6, maxInboundPerSource: 4 });
    const fromA: Raw[] = [];
    for (let i = 0; i < 6; i++) fromA.push(await connect(b.port, '127.0.0.2'));
    await until(() => fromA.filter((r) => r.closed).length === 2);
    expect(b.t.inboundCount).to.equal(4);
    const fromB: Raw[] = [];
    for (let i = 0; i < 4; i++) fromB.push(await connect(b.port, '127.0.0.3'));
    await until(() => fromB.filter((r) => r.closed).length === 2);
    expect(b.t.inboundCount).to.equal(6);
    expect(b.t.stats.refused['source-limit']).to.equal(2);
    expect(b.t.stats.refused['connection-limit']).to.equal(2);
    expect(b.incidents.map((i) => i.kind).sort()).to.deep.equal([
      'connection-limit',
      'connection-limit',
      'source-limit',
      'source-limit',
    ]);
    // Closing connections frees their slots (total and per source).
    for (const r of fromA) r.socket.destroy();
    await until(() => b.t.inboundCount === 2);
    const again = await connect(b.port, '127.0.0.2');
    again.socket.write(frame(AUTH));
    await until(() => b.got.length === 1);
    expect(again.closed).to.equal(false);
  });

  it('defaults: 100 peers sharing one address (a loopback cluster) all connect; the 129th is refused', async () => {
    // The old default (32 per source) refused 68 of these: a 50-agent loopback cluster could not join.
    const b = await bind({ authenticate: startsWithAuth });
    const peers: Raw[] = [];
    for (let i = 0; i < 100; i++) peers.push(await connect(b.port, '127.0.0.4'));
    for (const p of peers) p.socket.write(frame(AUTH));
    await until(() => b.got.length === 100);
    expect(peers.filter((p) => p.closed)).to.have.length(0);
    expect(b.incidents).to.deep.equal([]);
    // Still bounded: past 128 from one address, connections are closed at once and counted.
    const more: Raw[] = [];
    for (let i = 0; i < 30; i++) more.push(await connect(b.port, '127.0.0.4'));
    await until(() => more.filter((r) => r.closed).length === 2);
    expect(b.t.inboundCount).to.equal(128);
    expect(b.t.stats.refused['source-limit']).to.equal(2);
  });

  it('refuses a large frame before authentication without buffering it, and lifts the limit after', async () => {
    const b = await bind({ authenticate: startsWithAuth, preAuthFrameBytes: 1024, maxFrameBytes: 1 << 20 });
    // The old code buffered up to maxFrameBytes per connection before anything authenticated.
    const big = await connect(b.port);
    big.socket.write(encodeFrameHeader(1 << 20));
    big.socket.write(Buffer.alloc(4096, 1));
    await until(() => big.closed);
    expect(b.incidents.map((i) => i.kind)).to.deep.equal(['oversize-frame']);
    expect(b.incidents[0]!.detail).to.include('pre-authentication limit of 1024');
    // After one authenticated frame, the connection may send frames up to maxFrameBytes.
    const good = await connect(b.port);
    const large = Buffer.alloc(512 * 1024, 7);
    large.set(AUTH);
    good.socket.write(Buffer.concat([frame(AUTH), frame(large)]));
    await until(() => b.got.length === 2);
    expect(b.got[1]!.length).to.equal(large.length);
    expect(good.closed).to.equal(false);
    expect(b.errors).to.deep.equal([]);
  });

  it('closes a connection whose first frame does not authenticate, delivering nothing', async () => {
    const b = await bind({ authenticate: startsWithAuth });
    const r = await connect(b.port);
    r.socket.write(Buffer.concat([frame(new Uint8Array([1, 2, 3])), frame(AUTH)]));
    await until(() => r.closed);
    expect(b.got).to.have.length(0);
    expect(b.incidents.map((i) => i.kind)).to.deep.equal(['unauthenticated']);
  });

  it('closes a byte-a-tick sender at the frame deadline, and a silent connection that never authenticates', async () => {
    const b = await bind({ authenticate: startsWithAuth, frameDeadlineMs: 400 });
    const silent = await connect(b.port);
    const trickle = await connect(b.port);
    trickle.socket.write(frame(AUTH)); // authenticated, then a frame that never completes
    const body = frame(Buffer.alloc(100, 1));
    let i = 0;
    const timer = setInterval(() => {
      if (!trickle.closed && i < body.length) trickle.socket.write(body.subarray(i, ++i));
    }, 20);
    try {
      await until(() => silent.closed && trickle.closed);
    } finally {
      clearInterval(timer);
    }
    expect(i).to.be.below(body.length);
    expect(b.got).to.have.length(1);
    expect(b.incidents.map((x) => x.kind)).to.deep.equal(['frame-deadline', 'frame-deadline']);
  });

  it('keeps a connection that sends whole frames, however slowly, between frames', async () => {
    const b = await bind({ authenticate: startsWithAuth, frameDeadlineMs: 300 });
    const r = await connect(b.port);
    for (let n = 1; n <= 4; n++) {
      r.socket.write(frame(AUTH));
      await until(() => b.got.length === n);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    expect(r.closed).to.equal(false);
    expect(b.incidents).to.deep.equal([]);
  });
});
