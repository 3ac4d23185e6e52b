import { expect } from 'chai';
import { createRng } from '../../src/agent/runtime/rng.js';
import { EventQueue } from '../../src/agent/sim/event-queue.js';
import { DELIVER_DATAGRAM, DELIVER_STREAM, SimNetwork, simAddr } from '../../src/agent/sim/sim-network.js';

function net(n: number, loss = 0, seed = 1) {
  const queue = new EventQueue<Uint8Array>();
  const network = new SimNetwork(n, queue, createRng(seed), { loss, latencyMinMs: 1, latencyMaxMs: 5 });
  return { queue, network };
}

const payload = (k: number) => new Uint8Array(k);

describe('sim/SimNetwork', () => {
  it('maps addresses to indices and back', () => {
    const { network } = net(70_000);
    expect(network.addrOf(0)).to.equal('10.0.0.0:7946');
    expect(network.addrOf(65_793)).to.equal('10.1.1.1:7946');
    expect(network.indexOf(simAddr(69_999))).to.equal(69_999);
    expect(network.indexOf('10.9.9.9:1')).to.equal(undefined);
  });

  it('delivers after a latency within the configured range and counts bytes per sender', () => {
    const { queue, network } = net(3);
    for (let i = 0; i < 200; i++) network.send(0, simAddr(1), payload(10), 'datagram', 1000);
    network.send(2, simAddr(0), payload(7), 'stream', 1000);
    expect(queue.size).to.equal(201);
    for (let e = queue.pop(); e !== undefined; e = queue.pop()) {
      expect(e.time).to.be.within(1001, 1005);
      expect(e.kind).to.be.oneOf([DELIVER_DATAGRAM, DELIVER_STREAM]);
    }
    expect(network.packetsSent[0]).to.equal(200);
    expect(network.bytesSent[0]).to.equal(2000);
    expect(network.bytesSent[2]).to.equal(7);
  });

  it('drops datagrams at roughly the loss rate but never streams', () => {
    const { queue, network } = net(2, 0.2, 7);
    for (let i = 0; i < 10_000; i++) network.send(0, simAddr(1), payload(1), 'datagram', 0);
    const dropped = network.counters.droppedLoss;
    expect(dropped).to.be.within(1800, 2200);
    expect(queue.size).to.equal(10_000 - dropped);
    for (let i = 0; i < 1000; i++) network.send(0, simAddr(1), payload(1), 'stream', 0);
    expect(network.counters.droppedLoss).to.equal(dropped);
  });

  it('keeps streams in order per peer despite random latency', () => {
    const { queue, network } = net(2);
    for (let i = 0; i < 100; i++) network.send(0, simAddr(1), Uint8Array.of(i), 'stream', i * 0.1);
    const order: number[] = [];
    for (let e = queue.pop(); e !== undefined; e = queue.pop()) order.push(e.ref?.[0] ?? -1);
    expect(order).to.deep.equal([...Array(100).keys()]);
  });

  it('blocks traffic across a partition, also for packets already in flight, until healed', () => {
    const { queue, network } = net(4);
    network.send(0, simAddr(2), payload(1), 'datagram', 0); // in flight when the partition starts
    network.partition([
      [0, 1],
      [2, 3],
    ]);
    network.send(0, simAddr(3), payload(1), 'stream', 0);
    network.send(1, simAddr(0), payload(1), 'datagram', 0);
    expect(network.counters.droppedPartition).to.equal(1);
    // pop() reuses its result object, so check each event as it comes off.
    const landed: boolean[] = [];
    for (let e = queue.pop(); e !== undefined; e = queue.pop()) landed.push(network.deliverable(e.a, e.b));
    expect(landed.sort()).to.deep.equal([false, true]);
    network.heal();
    expect(network.canReach(0, 3)).to.equal(true);
    network.send(0, simAddr(3), payload(1), 'stream', 0);
    const e = queue.pop();
    expect(e && network.deliverable(e.a, e.b)).to.equal(true);
  });

  it('silences dead nodes both ways', () => {
    const { queue, network } = net(3);
    network.send(0, simAddr(1), payload(1), 'datagram', 0); // lands after the kill
    network.kill(1);
    network.send(1, simAddr(0), payload(1), 'stream', 0);
    network.send(2, simAddr(1), payload(1), 'datagram', 0);
    expect(network.counters.droppedDead).to.equal(2);
    const e = queue.pop();
    expect(e && network.deliverable(e.a, e.b)).to.equal(false);
    expect(network.counters.droppedDead).to.equal(3);
    expect(network.isAlive(1)).to.equal(false);
    expect(network.isAlive(2)).to.equal(true);
  });

  it('is deterministic for a seed', () => {
    const times = (seed: number) => {
      const { queue, network } = net(5, 0.3, seed);
      for (let i = 0; i < 50; i++) network.send(i % 5, simAddr((i + 1) % 5), payload(1), 'datagram', i);
      const out: number[] = [];
      for (let e = queue.pop(); e !== undefined; e = queue.pop()) out.push(e.time);
      return out;
    };
    expect(times(3)).to.deep.equal(times(3));
    expect(times(3)).to.not.deep.equal(times(4));
  });
});
