import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { expect } from 'chai';
import { NetTransport } from '../../src/agent/transport/net-transport.js';
import type { Channel } from '../../src/agent/transport/transport.js';
import { parseAddr } from '../../src/net/address.js';

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for condition');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('NetTransport (UDP + TCP on one port)', () => {
  const open: NetTransport[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });
  async function bind(addr = '127.0.0.1:0') {
    const t = await NetTransport.bind(addr, { maxDatagramBytes: 1400 });
    open.push(t);
    return t;
  }

  it('binds both protocols to the same port chosen for port 0', async () => {
    const a = await bind();
    const { port } = parseAddr(a.localAddr);
    expect(port).to.be.greaterThan(0);
    expect(a.udp.boundPort).to.equal(port);
    expect(a.stream.boundPort).to.equal(port);
    expect(a.udp.localAddr).to.equal(a.localAddr);
    expect(a.stream.localAddr).to.equal(a.localAddr);
  });

  it('routes datagram to UDP and stream to TCP', async () => {
    const a = await bind();
    const b = await bind();
    const got: Array<{ from: string; size: number; channel: Channel }> = [];
    b.onReceive((from, bytes, channel) => got.push({ from, size: bytes.length, channel }));
    a.send(b.localAddr, new Uint8Array(100), 'datagram');
    a.send(b.localAddr, randomBytes(200_000), 'stream');
    await until(() => got.length === 2);
    const dgramMsg = got.find((g) => g.channel === 'datagram')!;
    const streamMsg = got.find((g) => g.channel === 'stream')!;
    expect(dgramMsg).to.deep.equal({ from: a.localAddr, size: 100, channel: 'datagram' });
    expect(streamMsg.size).to.equal(200_000);
    expect(a.udp.stats.datagramsSent).to.equal(1);
    expect(a.stream.stats.framesSent).to.equal(1);
  });

  it('forwards stream send errors to onSendError', async () => {
    const a = await bind();
    const b = await bind();
    const dead = b.localAddr;
    await b.close();
    open.splice(open.indexOf(b), 1);
    const errors: Array<[string, Channel]> = [];
    a.onSendError((to, channel) => errors.push([to, channel]));
    a.send(dead, Uint8Array.of(1), 'stream');
    await until(() => errors.length === 1);
    expect(errors).to.deep.equal([[dead, 'stream']]);
  });

  it('fails with EADDRINUSE when a fixed port is taken for UDP, releasing the TCP side', async () => {
    // A port free for TCP too: another test's outbound connection may hold a random port's TCP side,
    // which would fail the final bind for the wrong reason. Hold TCP until just before binding.
    const tcpHold = net.createServer();
    await new Promise<void>((resolve) => tcpHold.listen(0, '127.0.0.1', () => resolve()));
    const port = (tcpHold.address() as net.AddressInfo).port;
    const squatter = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => squatter.bind(port, '127.0.0.1', () => resolve()));
    await new Promise<void>((resolve) => tcpHold.close(() => resolve()));
    try {
      let err: unknown = null;
      try {
        await bind(`127.0.0.1:${port}`);
      } catch (e) {
        err = e;
      }
      expect((err as NodeJS.ErrnoException).code).to.equal('EADDRINUSE');
      squatter.close();
      // The TCP listener from the failed attempt was closed, so the port is bindable now.
      const t = await bind(`127.0.0.1:${port}`);
      expect(t.localAddr).to.equal(`127.0.0.1:${port}`);
    } finally {
      try {
        squatter.close();
      } catch {
        // already closed
      }
    }
  });

  it('uses the advertised address', async () => {
    const t = await NetTransport.bind('127.0.0.1:0', { maxDatagramBytes: 1400, advertise: '10.0.0.7:7946' });
    open.push(t);
    expect(t.localAddr).to.equal('10.0.0.7:7946');
  });
});
