// Issue 8, finding 1 (addresses): plaintext packets must not let a third party aim this agent's
// traffic. On a real agent process with real UDP and TCP sockets: a ping is acked at the datagram's
// source, not at the address written in the packet; a stream packet whose claimed sender is on
// another host than the connection's source is dropped (no connection to the named address); a
// ping-req for a target not known at that address is not relayed; a record about the sender itself
// naming another host, or any record naming a host name (a DNS lookup to send to it), is dropped.
// Each refusal counts as grapevine_packets_dropped_total{reason="unverified-addr"}. On the old code
// the ack went to the written address and the agent opened a stream to the named host.
import dgram from 'node:dgram';
import net from 'node:net';
import { expect } from 'chai';
import { encodeFrameHeader } from '../../src/agent/transport/frame-decoder.js';
import { encodeMessage } from '../../src/agent/wire/message-codec.js';
import type { Message, PacketSender } from '../../src/agent/wire/messages.js';
import { decodePacket, encodePacket } from '../../src/agent/wire/packet-codec.js';
import type { AgentProcess } from '../support/agent-process.js';
import { Agents, agentArgs, eventually, metric } from './helpers.js';

const portOf = (addr: string) => Number(addr.slice(addr.lastIndexOf(':') + 1));
const packet = (sender: Omit<PacketSender, 'seq'>, messages: Message[], seq = 1) =>
  encodePacket('default', { ...sender, seq }, messages.map(encodeMessage), null);

interface Udp {
  socket: dgram.Socket;
  port: number;
  got: Message[];
}

async function udp(address = '127.0.0.1'): Promise<Udp> {
  const socket = dgram.createSocket('udp4');
  const got: Message[] = [];
  socket.on('message', (bytes) => {
    const res = decodePacket(bytes, { cluster: 'default', keyring: null, maxBytes: 65_536 });
    if (res.ok) for (const m of res.packet.messages) got.push(m);
  });
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  return { socket, port: socket.address().port, got };
}

async function tcpListener(
  host: string,
): Promise<{ server: net.Server; port: number; connections: () => number }> {
  let n = 0;
  const server = net.createServer((s) => {
    n++;
    s.on('error', () => {});
    s.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as net.AddressInfo).port, connections: () => n };
}

describe('hardening: addresses written in plaintext packets (real agent process)', function () {
  this.timeout(60_000);
  const agents = new Agents();
  const closers: Array<() => void> = [];
  let a: AgentProcess;
  const unverified = () => metric(a, 'grapevine_packets_dropped_total', 'reason="unverified-addr"');
  before(async () => {
    a = await agents.start(agentArgs('addr1'));
  });
  after(async () => {
    for (const c of closers) c();
    await agents.stopAll();
  });

  it('acks a ping at the datagram source, not at the address the packet claims', async () => {
    const attacker = await udp();
    const victim = await udp();
    closers.push(
      () => attacker.socket.close(),
      () => victim.socket.close(),
    );
    const bytes = packet({ name: 'prober', generation: 1, addr: `127.0.0.1:${victim.port}` }, [
      { t: 'ping', seq: 77, target: a.name },
    ]);
    attacker.socket.send(bytes, portOf(a.gossipAddr), '127.0.0.1');
    await eventually('ack at the source', async () =>
      attacker.got.some((m) => m.t === 'ack' && m.seq === 77),
    );
    expect(victim.got).to.deep.equal([]);
  });

  it('drops a stream packet whose claimed sender is on another host than the connection, and opens nothing there', async () => {
    const victim = await tcpListener('127.0.0.2');
    const honest = await tcpListener('127.0.0.1');
    closers.push(
      () => victim.server.close(),
      () => honest.server.close(),
    );
    const before = await unverified();
    const start: Message = { t: 'ae-start', session: 5, mode: 'push-pull', root: [0, 0], count: 0 };
    const send = (claimed: string, seq: number) => {
      const bytes = packet({ name: 'streamer', generation: 1, addr: claimed }, [start], seq);
      const s = net.connect({ host: '127.0.0.1', port: portOf(a.gossipAddr), localAddress: '127.0.0.1' });
      s.on('error', () => {});
      s.write(Buffer.concat([encodeFrameHeader(bytes.length), bytes]));
      closers.push(() => s.destroy());
    };
    send(`127.0.0.2:${victim.port}`, 1);
    await eventually('counted', async () => (await unverified()) > before);
    // The same request claiming its own host is answered there (anti-entropy keeps working).
    send(`127.0.0.1:${honest.port}`, 2);
    await eventually('answered on the source host', async () => honest.connections() === 1);
    expect(victim.connections()).to.equal(0);
  });

  it('ignores anti-entropy in a datagram (it would answer by stream at the address the packet names)', async () => {
    const attacker = await udp();
    const victim = await tcpListener('127.0.0.2');
    closers.push(
      () => attacker.socket.close(),
      () => victim.server.close(),
    );
    const claimed = { name: 'dgram-ae', generation: 1, addr: `127.0.0.2:${victim.port}` };
    attacker.socket.send(
      packet(claimed, [{ t: 'ae-start', session: 3, mode: 'push-pull', root: [0, 0], count: 0 }]),
      portOf(a.gossipAddr),
      '127.0.0.1',
    );
    // Handled in order: once the ping after it is acked, the ae-start has been handled too.
    attacker.socket.send(
      packet(claimed, [{ t: 'ping', seq: 31, target: a.name }], 2),
      portOf(a.gossipAddr),
      '127.0.0.1',
    );
    await eventually('ping acked', async () => attacker.got.some((m) => m.t === 'ack' && m.seq === 31));
    await new Promise((r) => setTimeout(r, 500)); // room for a connection the old code would open
    expect(victim.connections()).to.equal(0);
  });

  it('does not relay a ping-req for a target it does not know at that address', async () => {
    const attacker = await udp();
    const victim = await udp();
    closers.push(
      () => attacker.socket.close(),
      () => victim.socket.close(),
    );
    const before = await unverified();
    const bytes = packet({ name: 'requester', generation: 1, addr: `127.0.0.1:${attacker.port}` }, [
      { t: 'ping-req', seq: 9, target: 'nobody', targetAddr: `127.0.0.1:${victim.port}` },
    ]);
    attacker.socket.send(bytes, portOf(a.gossipAddr), '127.0.0.1');
    await eventually('counted', async () => (await unverified()) > before);
    expect(victim.got).to.deep.equal([]);
  });

  it('drops a record about the sender naming another host, and records naming host names', async () => {
    const attacker = await udp();
    closers.push(() => attacker.socket.close());
    const before = await unverified();
    const rumor = { origin: 'liar', originTime: Date.now(), hops: 0 };
    const self = { name: 'liar', generation: 1, incarnation: 0, state: 'alive' as const, tags: {} };
    const bytes = packet({ name: 'liar', generation: 1, addr: `127.0.0.1:${attacker.port}` }, [
      { t: 'member', rumor, from: 'liar', member: { ...self, addr: '127.0.0.3:7946' } },
      { t: 'member', rumor, from: 'liar', member: { ...self, name: 'dns-1', addr: 'evil.example:7946' } },
    ]);
    attacker.socket.send(bytes, portOf(a.gossipAddr), '127.0.0.1');
    await eventually('both counted', async () => (await unverified()) >= before + 2);
    const members = (await (await fetch(`${a.url}/v1/members`)).json()) as Array<{ name: string }>;
    expect(members.map((m) => m.name)).to.deep.equal([a.name]);
    // A record about itself at the host it sends from is accepted (joins keep working).
    const honest = packet(
      { name: 'liar', generation: 1, addr: `127.0.0.1:${attacker.port}` },
      [{ t: 'member', rumor, from: 'liar', member: { ...self, addr: `127.0.0.1:${attacker.port}` } }],
      2,
    );
    attacker.socket.send(honest, portOf(a.gossipAddr), '127.0.0.1');
    await eventually('accepted', async () =>
      ((await (await fetch(`${a.url}/v1/members`)).json()) as Array<{ name: string }>).some(
        (m) => m.name === 'liar',
      ),
    );
  });
});
