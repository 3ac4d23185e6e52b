// Issue 8, finding 4, against real agent processes: hostile TCP connections to the gossip port are
// bounded (total and per source), big frames are refused before authentication without being
// buffered, byte-a-second senders are cut at the frame deadline, each kind of incident is logged once
// (rate-limited, no stack trace) and counted, and the HTTP API and joining keep working meanwhile.
import net from 'node:net';
import { expect } from 'chai';
import type { MemberView } from '../../src/agent/agent-api.js';
import { encodeFrameHeader } from '../../src/agent/transport/frame-decoder.js';
import type { AgentProcess } from '../support/agent-process.js';
import { Agents, agentArgs, eventually, metric } from './helpers.js';

interface Raw {
  socket: net.Socket;
  closed: boolean;
}

function rawConnect(addr: string, localAddress: string): Promise<Raw> {
  const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
  const socket = net.connect({ host: '127.0.0.1', port, localAddress });
  const raw: Raw = { socket, closed: false };
  socket.on('error', () => {});
  socket.on('close', () => {
    raw.closed = true;
  });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve(raw));
    socket.once('close', () => resolve(raw));
  });
}

const refused = (a: AgentProcess, reason: string) =>
  metric(a, 'grapevine_refused_total', 'resource="gossip-tcp"', `reason="${reason}"`);

describe('hardening: gossip TCP port under hostile connections (real agent processes)', function () {
  this.timeout(120_000);
  const agents = new Agents();
  const raws: Raw[] = [];
  let a: AgentProcess;
  /** An agent with default settings (so this part also runs against code without the new flags). */
  let d: AgentProcess;
  before(async () => {
    d = await agents.start(agentArgs('tcp-default'));
  });
  after(async () => {
    for (const r of raws) r.socket.destroy();
    await agents.stopAll();
  });

  it('closes connections that declare 16 MiB frames at once, without buffering them', async () => {
    // The old code accepted frames up to 16 MiB from anyone and buffered them before authentication.
    const conns = await Promise.all(Array.from({ length: 8 }, () => rawConnect(d.gossipAddr, '127.0.1.1')));
    raws.push(...conns);
    for (const r of conns) {
      r.socket.write(encodeFrameHeader(16 * 1024 * 1024));
      r.socket.write(Buffer.alloc(256 * 1024, 0x41));
    }
    await eventually('all closed by the agent', async () => conns.every((r) => r.closed));
    expect(await refused(d, 'oversize-frame')).to.equal(8);
  });

  it('bounds connections per source and in total; refusals are counted and logged once, without stack', async () => {
    a = await agents.start(
      agentArgs('tcp1', '--max-inbound-connections', '40', '--max-inbound-connections-per-source', '10'),
    );
    const before = raws.length;
    // 12 sources × 10 connections: at most 10 per source, 40 in total are kept.
    for (let s = 0; s < 12; s++)
      raws.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, () => rawConnect(a.gossipAddr, `127.0.2.${s + 1}`)),
        )),
      );
    const mine = raws.slice(before);
    await eventually('refused connections closed', async () => mine.filter((r) => r.closed).length >= 80);
    expect(mine.filter((r) => !r.closed).length).to.be.at.most(40);
    expect(await refused(a, 'connection-limit')).to.be.at.least(80);
    // More from one source than it may hold.
    const one = await Promise.all(Array.from({ length: 15 }, () => rawConnect(a.gossipAddr, '127.0.3.1')));
    raws.push(...one);
    await eventually(
      'per-source refusals',
      async () => (await refused(a, 'source-limit')) + (await refused(a, 'connection-limit')) >= 95,
    );
    // The API still answers while the port is saturated.
    expect((await fetch(`${a.url}/healthz`)).status).to.equal(200);
    const lines = a.logs.filter((l) => l.resource === 'gossip-tcp');
    expect(lines.length, JSON.stringify(lines)).to.be.at.most(8);
    const text = JSON.stringify(a.logs);
    expect(text).to.not.include('stack');
    expect(text).to.not.match(/FrameTooLargeError|at .*\.ts:\d+/);
  });

  it('cuts silent and byte-a-second connections at the frame deadline; a new node still joins meanwhile', async () => {
    for (const r of raws) r.socket.destroy();
    raws.length = 0;
    await eventually('slots free', async () => (await fetch(`${a.url}/healthz`)).ok);
    const silent = await rawConnect(a.gossipAddr, '127.0.4.1');
    const trickle = await rawConnect(a.gossipAddr, '127.0.4.2');
    raws.push(silent, trickle);
    const header = encodeFrameHeader(1000);
    let i = 0;
    const timer = setInterval(() => {
      if (!trickle.closed) trickle.socket.write(i < 4 ? header.subarray(i, i + 1) : Buffer.from([0x41]));
      i++;
    }, 1000);
    try {
      const b = await agents.start(agentArgs('tcp-joiner', '--join', a.gossipAddr));
      await eventually('joiner alive in both views', async () => {
        const seenByA = await a.json<MemberView[]>('/v1/members');
        const seenByB = await b.json<MemberView[]>('/v1/members');
        return (
          seenByA.some((m) => m.name === 'tcp-joiner' && m.state === 'alive') &&
          seenByB.some((m) => m.name === 'tcp1' && m.state === 'alive')
        );
      });
      // The default frame deadline is 10 s; the old code only closed after 60 s of total silence.
      await eventually('both cut', async () => silent.closed && trickle.closed, 30_000);
    } finally {
      clearInterval(timer);
    }
    expect(await refused(a, 'frame-deadline')).to.be.at.least(2);
  });
});
