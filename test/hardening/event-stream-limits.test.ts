// Issue 8, finding 3, against a real agent process: event-stream subscribers that never read are
// bounded in number and in bytes queued for them; the agent disconnects them and counts it.
import net from 'node:net';
import { expect } from 'chai';
import type { AgentProcess } from '../support/agent-process.js';
import { Agents, agentArgs, metric } from './helpers.js';

interface NonReader {
  socket: net.Socket;
  status: Promise<string>;
  closed: boolean;
}

/** Sends GET /v1/events and then never reads past the status line: the client a slow consumer is. */
function nonReader(url: string): NonReader {
  const { hostname, port } = new URL(url);
  const socket = net.connect({ host: hostname, port: Number(port) });
  const r: NonReader = { socket, closed: false, status: Promise.resolve('') };
  socket.on('error', () => {});
  socket.on('close', () => {
    r.closed = true;
  });
  r.status = new Promise((resolve) => {
    socket.once('data', (d: Buffer) => {
      resolve(d.toString('latin1').split('\r\n', 1)[0]!);
      socket.pause();
    });
    socket.once('close', () => resolve('closed'));
  });
  socket.write(`GET /v1/events HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`);
  return r;
}

describe('hardening: event stream bounds (real agent process)', function () {
  this.timeout(120_000);
  const agents = new Agents();
  const readers: NonReader[] = [];
  let a: AgentProcess;
  before(async () => {
    a = await agents.start(
      agentArgs(
        'sse1',
        '--max-event-subscribers',
        '10',
        '--max-event-queue-bytes',
        '65536',
        '--max-payload-bytes',
        '1024',
      ),
    );
  });
  after(async () => {
    for (const r of readers) r.socket.destroy();
    await agents.stopAll();
  });

  it('refuses subscribers past the limit with 503 and disconnects those that do not read', async () => {
    for (let i = 0; i < 13; i++) readers.push(nonReader(a.url));
    const statuses = await Promise.all(readers.map((r) => r.status));
    expect(statuses.filter((s) => s.includes(' 200 '))).to.have.length(10);
    expect(statuses.filter((s) => s.includes(' 503 '))).to.have.length(3);
    expect(
      await metric(a, 'grapevine_refused_total', 'resource="event-stream"', 'reason="subscribers"'),
    ).to.equal(3);
    // Events of ~1.4 KB each (a 1 KiB payload as text and base64) until the agent has dropped every
    // non-reader (once the socket buffers are full, the bounded queue fills); the old code kept
    // queueing for them without limit.
    const payload = 'p'.repeat(1024);
    const dropped = () =>
      metric(a, 'grapevine_refused_total', 'resource="event-stream"', 'reason="slow-subscriber"');
    let sent = 0;
    while ((await dropped()) < 10 && sent < 20_000) {
      const batch = [];
      for (let i = 0; i < 100; i++)
        batch.push(
          fetch(`${a.url}/v1/events`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ name: 'load', payload }),
          }).then((res) => res.arrayBuffer()),
        );
      await Promise.all(batch);
      sent += batch.length;
    }
    expect(await dropped(), `non-readers dropped after ${sent} events`).to.equal(10);
    // One log line for the burst (rate-limited), no stack trace.
    const lines = a.logs.filter((l) => l.reason === 'slow-subscriber');
    expect(lines.length).to.be.within(1, 3);
    expect(JSON.stringify(lines)).to.not.include('stack');
    // Their slots are free again: new subscribers are accepted.
    const again = Array.from({ length: 10 }, () => nonReader(a.url));
    readers.push(...again);
    for (const r of again) expect(await r.status).to.include(' 200 ');
  });
});
