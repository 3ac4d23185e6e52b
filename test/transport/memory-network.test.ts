import { expect } from 'chai';
import fc from 'fast-check';
import { createRng } from '../../src/agent/runtime/rng.js';
import { DeliveryQueue } from '../../src/agent/transport/delivery-queue.js';
import { MemoryNetwork } from '../../src/agent/transport/memory-network.js';
import type { Channel } from '../../src/agent/transport/transport.js';
import { MemoryCluster } from '../support/memory-cluster.js';

type Log = Array<{ at: number; from: string; data: number; channel: Channel }>;

function listen(net: MemoryNetwork, addr: string): { log: Log; t: ReturnType<MemoryNetwork['attach']> } {
  const t = net.attach(addr);
  const log: Log = [];
  t.onReceive((from, bytes, channel) => log.push({ at: net.now(), from, data: bytes[0]!, channel }));
  return { log, t };
}

describe('DeliveryQueue', () => {
  it('pops in (at, seq) order for any pushes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), (times) => {
        const q = new DeliveryQueue<{ at: number; seq: number }>();
        times.forEach((at, seq) => {
          q.push({ at, seq });
        });
        const out: Array<{ at: number; seq: number }> = [];
        for (let x = q.pop(); x !== undefined; x = q.pop()) out.push(x);
        const expected = times.map((at, seq) => ({ at, seq })).sort((a, b) => a.at - b.at || a.seq - b.seq);
        expect(out).to.deep.equal(expected);
      }),
    );
  });
});

describe('MemoryNetwork', () => {
  it('delivers nothing until virtual time reaches the latency, then in time order', () => {
    const net = new MemoryNetwork({ rng: createRng(1), latencyMs: [10, 20] });
    const a = listen(net, 'a:1');
    const b = listen(net, 'b:1');
    for (let i = 0; i < 100; i++) a.t.send('b:1', Uint8Array.of(i), 'datagram');
    expect(net.pending()).to.equal(100);
    expect(net.deliverUntil(9.99)).to.equal(0);
    expect(b.log).to.have.length(0);
    expect(net.nextDeliveryAt()).to.be.within(10, 20);
    expect(net.deliverUntil(20)).to.equal(100);
    expect(b.log.every((m) => m.from === 'a:1' && m.at >= 10 && m.at <= 20)).to.equal(true);
    const times = b.log.map((m) => m.at);
    expect(times).to.deep.equal([...times].sort((x, y) => x - y));
    // Random latency reorders datagrams (with 100 draws this is certain for this seed).
    expect(b.log.map((m) => m.data)).to.not.deep.equal([...Array(100).keys()]);
    expect(a.log).to.have.length(0);
    expect(net.now()).to.equal(20);
  });

  it('keeps stream messages in send order per peer despite random latency', () => {
    const net = new MemoryNetwork({ rng: createRng(2), latencyMs: [1, 50] });
    const a = listen(net, 'a:1');
    const b = listen(net, 'b:1');
    for (let i = 0; i < 100; i++) a.t.send('b:1', Uint8Array.of(i), 'stream');
    net.deliverUntil(1000);
    expect(b.log.map((m) => m.data)).to.deep.equal([...Array(100).keys()]);
    expect(b.log.every((m) => m.channel === 'stream')).to.equal(true);
  });

  it('stamps replies sent during delivery with the delivery time and delivers them in the same call', () => {
    const net = new MemoryNetwork({ rng: createRng(3), latencyMs: [5, 5] });
    const a = listen(net, 'a:1');
    const b = net.attach('b:1');
    b.onReceive((from, bytes) => b.send(from, Uint8Array.of(bytes[0]! + 1), 'datagram'));
    net.deliverUntil(100); // advance time with nothing in flight
    a.t.send('b:1', Uint8Array.of(1), 'datagram');
    expect(net.deliverUntil(200)).to.equal(2);
    expect(a.log).to.deep.equal([{ at: 110, from: 'b:1', data: 2, channel: 'datagram' }]);
  });

  it('loses about the configured fraction of datagrams and never streams', () => {
    const net = new MemoryNetwork({ rng: createRng(4), loss: 0.3 });
    const a = net.attach('a:1');
    const b = listen(net, 'b:1');
    for (let i = 0; i < 10_000; i++) a.send('b:1', Uint8Array.of(0), 'datagram');
    for (let i = 0; i < 1000; i++) a.send('b:1', Uint8Array.of(1), 'stream');
    net.deliverUntil(10);
    const datagrams = b.log.filter((m) => m.channel === 'datagram').length;
    expect(datagrams).to.be.within(6700, 7300);
    expect(b.log.filter((m) => m.channel === 'stream')).to.have.length(1000);
    expect(net.stats.lost).to.equal(10_000 - datagrams);
    net.setLoss(0);
    a.send('b:1', Uint8Array.of(0), 'datagram');
    net.deliverUntil(20);
    expect(b.log).to.have.length(datagrams + 1001);
  });

  it('partitions block both ways, report blocked streams to the sender, and heal restores traffic', () => {
    const net = new MemoryNetwork({ rng: createRng(5), latencyMs: [1, 3] });
    const nodes = ['n1:1', 'n2:1', 'n3:1', 'n4:1'].map((addr) => ({ addr, ...listen(net, addr) }));
    const failures: string[] = [];
    for (const n of nodes)
      n.t.onSendError((to, channel, err) => failures.push(`${n.addr}->${to} ${channel} ${err.message}`));
    net.partition(['n1:1', 'n2:1'], ['n3:1', 'n4:1']);
    const sendAll = (channel: Channel) => {
      for (const x of nodes) for (const y of nodes) if (x !== y) x.t.send(y.addr, Uint8Array.of(9), channel);
    };
    sendAll('datagram');
    sendAll('stream');
    net.deliverUntil(net.now() + 10);
    const heard = (n: (typeof nodes)[number]) => [...new Set(n.log.map((m) => m.from))].sort();
    expect(heard(nodes[0]!)).to.deep.equal(['n2:1']);
    expect(heard(nodes[2]!)).to.deep.equal(['n4:1']);
    // 8 cross pairs × (datagram + stream) blocked; only the 8 streams are reported.
    expect(net.stats.blocked).to.equal(16);
    expect(failures).to.have.length(8);
    expect(failures).to.include('n1:1->n3:1 stream stream to n3:1: partitioned');
    net.heal();
    for (const n of nodes) n.log.length = 0;
    sendAll('datagram');
    net.deliverUntil(net.now() + 10);
    expect(heard(nodes[0]!)).to.deep.equal(['n2:1', 'n3:1', 'n4:1']);
  });

  it('drops datagrams in flight when a partition starts before they arrive', () => {
    const net = new MemoryNetwork({ rng: createRng(6), latencyMs: [10, 10] });
    const a = net.attach('a:1');
    const b = listen(net, 'b:1');
    a.send('b:1', Uint8Array.of(1), 'datagram');
    net.block('a:1', 'b:1');
    net.deliverUntil(20);
    expect(b.log).to.have.length(0);
    expect(net.stats.blocked).to.equal(1);
  });

  it('reports streams to a closed or unknown address as refused; datagrams vanish', async () => {
    const net = new MemoryNetwork({ rng: createRng(7) });
    const a = net.attach('a:1');
    const b = listen(net, 'b:1');
    const failures: string[] = [];
    a.onSendError((_to, _channel, err) => failures.push(err.message));
    await b.t.close();
    a.send('b:1', Uint8Array.of(1), 'stream');
    a.send('b:1', Uint8Array.of(1), 'datagram');
    a.send('nobody:1', Uint8Array.of(1), 'stream');
    net.deliverUntil(5);
    expect(failures).to.deep.equal([
      'stream to b:1: connection refused',
      'stream to nobody:1: connection refused',
    ]);
    expect(net.stats.unreachable).to.equal(3);
    // The address can be attached again (a restarted node).
    const b2 = listen(net, 'b:1');
    a.send('b:1', Uint8Array.of(2), 'stream');
    net.deliverUntil(10);
    expect(b2.log.map((m) => m.data)).to.deep.equal([2]);
  });

  it('copies payloads so a sender reusing its buffer cannot alter what is in flight', () => {
    const net = new MemoryNetwork({ rng: createRng(8) });
    const a = net.attach('a:1');
    const b = listen(net, 'b:1');
    const buf = Uint8Array.of(1);
    a.send('b:1', buf, 'datagram');
    buf[0] = 99;
    net.deliverUntil(5);
    expect(b.log[0]!.data).to.equal(1);
  });

  it('is deterministic for a seed and tells a scheduler when to wake', () => {
    const run = (seed: number) => {
      const wakes: number[] = [];
      const net = new MemoryNetwork({
        rng: createRng(seed),
        latencyMs: [1, 100],
        loss: 0.2,
        onScheduled: (at) => wakes.push(at),
      });
      const a = net.attach('a:1');
      const b = listen(net, 'b:1');
      for (let i = 0; i < 200; i++) a.send('b:1', Uint8Array.of(i), 'datagram');
      net.deliverUntil(1000);
      return { order: b.log.map((m) => `${m.data}@${m.at}`), wakes };
    };
    const first = run(42);
    expect(run(42)).to.deep.equal(first);
    expect(run(43).order).to.not.deep.equal(first.order);
    expect(first.wakes.length).to.equal(first.order.length); // one wake per message not lost
  });

  it('rejects bad settings and duplicate attachment', () => {
    expect(() => new MemoryNetwork({ rng: createRng(1), loss: 1.5 })).to.throw(RangeError);
    expect(() => new MemoryNetwork({ rng: createRng(1), latencyMs: [5, 1] })).to.throw(RangeError);
    const net = new MemoryNetwork({ rng: createRng(1) });
    net.attach('a:1');
    expect(() => net.attach('a:1')).to.throw('already attached');
  });
});

describe('GossipNode counters on the in-memory network', function () {
  this.timeout(60_000);

  it('count every transmission: messages and packets sent equal what the network delivered', () => {
    const c = new MemoryCluster(21);
    const n = 10;
    for (let i = 0; i < n; i++) c.add(`n${i}`, `10.1.0.${i + 1}:7946`);
    for (let i = 1; i < n; i++) c.get(`n${i}`).join(['10.1.0.1:7946'], c.now);
    c.run(5_000);
    c.get('n3').kvPut('k', new TextEncoder().encode('v'), c.now);
    c.get('n5').fireEvent('deploy', new Uint8Array([1]), c.now);
    c.get('n7').setTags({ zone: 'b' }, c.now);
    c.run(15_000);
    // Let the packets in flight (and the replies they cause) land, without firing new timers.
    for (let at = c.net.nextDeliveryAt(); at !== null; at = c.net.nextDeliveryAt()) {
      c.now = at;
      c.net.deliverUntil(at);
    }
    const sent: Record<string, number> = {};
    const received: Record<string, number> = {};
    let packetsSent = 0;
    let packetsReceived = 0;
    for (const { node } of c.nodes.values()) {
      packetsSent += node.stats.packetsSent;
      packetsReceived += node.stats.packetsReceived;
      for (const [t, k] of Object.entries(node.stats.messagesSent)) sent[t] = (sent[t] ?? 0) + (k ?? 0);
      for (const [t, k] of Object.entries(node.stats.messagesReceived))
        received[t] = (received[t] ?? 0) + (k ?? 0);
    }
    expect(c.net.stats.lost + c.net.stats.blocked + c.net.stats.unreachable).to.equal(0);
    expect(packetsSent).to.equal(c.net.stats.delivered);
    expect(packetsReceived).to.equal(c.net.stats.delivered);
    expect(sent).to.deep.equal(received);
    // The update rumors really went out (several transmissions each, mail copies included).
    expect(sent.kv).to.be.greaterThan(n - 1);
    expect(sent['user-event']).to.be.greaterThan(n - 1);
    expect(sent.mail).to.be.greaterThan(0);
  });
});
