import { expect } from 'chai';
import type { Channel } from '../../src/agent/transport/transport.js';
import { UdpTransport } from '../../src/agent/transport/udp-transport.js';

interface Got {
  from: string;
  bytes: Uint8Array;
  channel: Channel;
}

function collect(t: UdpTransport): Got[] {
  const got: Got[] = [];
  t.onReceive((from, bytes, channel) => got.push({ from, bytes: bytes.slice(), channel }));
  return got;
}

async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for condition');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('UdpTransport (real sockets)', () => {
  const open: UdpTransport[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });
  async function bind(addr: string, opts: Partial<Parameters<typeof UdpTransport.bind>[1]> = {}) {
    const t = await UdpTransport.bind(addr, { maxDatagramBytes: 1400, ...opts });
    open.push(t);
    return t;
  }

  it('resolves port 0 to the bound port and exchanges datagrams both ways on 127.0.0.1', async () => {
    const a = await bind('127.0.0.1:0');
    const b = await bind('127.0.0.1:0');
    expect(a.localAddr).to.match(/^127\.0\.0\.1:\d+$/);
    expect(a.localAddr).to.not.equal('127.0.0.1:0');
    expect(a.localAddr).to.not.equal(b.localAddr);
    const gotA = collect(a);
    const gotB = collect(b);
    for (let i = 0; i < 50; i++) a.send(b.localAddr, Uint8Array.of(i, 1), 'datagram');
    b.send(a.localAddr, Uint8Array.of(9, 9, 9), 'datagram');
    await until(() => gotB.length === 50 && gotA.length === 1);
    expect(gotB.every((g) => g.from === a.localAddr && g.channel === 'datagram')).to.equal(true);
    expect(gotB.map((g) => g.bytes[0]).sort((x, y) => x! - y!)).to.deep.equal([...Array(50).keys()]);
    expect([...gotA[0]!.bytes]).to.deep.equal([9, 9, 9]);
    expect(a.stats.datagramsSent).to.equal(50);
    expect(b.stats.datagramsReceived).to.equal(50);
    expect(b.stats.bytesReceived).to.equal(100);
  });

  it('works over IPv6 loopback with bracketed addresses', async function () {
    let a: UdpTransport;
    try {
      a = await bind('[::1]:0');
    } catch {
      this.skip(); // no IPv6 in this environment
    }
    const b = await bind('[::1]:0');
    expect(a.localAddr).to.match(/^\[::1\]:\d+$/);
    const got = collect(b);
    a.send(b.localAddr, Uint8Array.of(6), 'datagram');
    await until(() => got.length === 1);
    expect(got[0]!.from).to.equal(a.localAddr);
  });

  it('uses the advertised address verbatim', async () => {
    const a = await bind('127.0.0.1:0', { advertise: '10.9.8.7:7946' });
    expect(a.localAddr).to.equal('10.9.8.7:7946');
    expect(a.boundPort).to.be.greaterThan(0);
  });

  it('drops and reports outbound datagrams over maxDatagramBytes, hands inbound ones up and counts them', async () => {
    const errors: string[] = [];
    const small = await bind('127.0.0.1:0', { maxDatagramBytes: 600, onError: (_e, c) => errors.push(c) });
    const big = await bind('127.0.0.1:0', { maxDatagramBytes: 2000 });
    const sendErrors: Array<[string, Channel]> = [];
    small.onSendError((to, channel) => sendErrors.push([to, channel]));
    const got = collect(small);
    small.send(big.localAddr, new Uint8Array(601), 'datagram');
    expect(small.stats.oversizeDropped).to.equal(1);
    expect(sendErrors).to.deep.equal([[big.localAddr, 'datagram']]);
    expect(errors).to.deep.equal(['send']);
    big.send(small.localAddr, new Uint8Array(1500), 'datagram');
    await until(() => got.length === 1);
    expect(got[0]!.bytes.length).to.equal(1500);
    expect(small.stats.oversizeReceived).to.equal(1);
  });

  it('never throws on bad destinations or the stream channel; reports them instead', async () => {
    const a = await bind('127.0.0.1:0');
    const failed: string[] = [];
    a.onSendError((to, channel, err) => failed.push(`${to}|${channel}|${err.message}`));
    a.send('not an address', Uint8Array.of(1), 'datagram');
    a.send('127.0.0.1:0', Uint8Array.of(1), 'datagram');
    a.send('[::1]:7946', Uint8Array.of(1), 'datagram'); // IPv6 target from an udp4 socket
    a.send('127.0.0.1:9', Uint8Array.of(1), 'stream');
    await until(() => failed.length === 4);
    expect(failed.some((f) => f.startsWith('not an address|datagram|invalid address'))).to.equal(true);
    expect(
      failed.some((f) => f.startsWith('127.0.0.1:9|stream|udp transport has no stream channel')),
    ).to.equal(true);
    expect(a.stats.sendErrors).to.equal(4);
  });

  it('survives a receive handler that throws and keeps delivering', async () => {
    const errors: string[] = [];
    const a = await bind('127.0.0.1:0', { onError: (e, c) => errors.push(`${c}:${e.message}`) });
    const b = await bind('127.0.0.1:0');
    let calls = 0;
    a.onReceive(() => {
      calls++;
      if (calls === 1) throw new Error('boom');
    });
    b.send(a.localAddr, Uint8Array.of(1), 'datagram');
    await until(() => calls === 1);
    b.send(a.localAddr, Uint8Array.of(2), 'datagram');
    await until(() => calls === 2);
    expect(errors).to.deep.equal(['handler:boom']);
  });

  it('fails to bind an address in use with the OS error', async () => {
    const a = await bind('127.0.0.1:0');
    let err: unknown = null;
    try {
      await bind(a.localAddr);
    } catch (e) {
      err = e;
    }
    expect((err as NodeJS.ErrnoException).code).to.equal('EADDRINUSE');
  });
});
