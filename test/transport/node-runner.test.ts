import { expect } from 'chai';
import type { CoreEvent, CoreOutput } from '../../src/agent/core/types.js';
import { monotonicNow } from '../../src/agent/runtime/clock.js';
import { type DrivableCore, NodeRunner } from '../../src/agent/runtime/node-runner.js';
import type { Channel } from '../../src/agent/transport/transport.js';
import { UdpTransport } from '../../src/agent/transport/udp-transport.js';

/** A tiny stand-in core: records what the runner calls and lets the test move its deadline. */
class FakeCore implements DrivableCore {
  deadline = Number.POSITIVE_INFINITY;
  /** nextDeadline calls: the runner asks after every packet, API call and timer wake-up. */
  deadlineReads = 0;
  ticks: number[] = [];
  received: Array<{ from: string; data: number; channel: Channel; now: number }> = [];
  /** Deadline to set after each tick (default: nothing scheduled). */
  afterTick: (now: number) => number = () => Number.POSITIVE_INFINITY;
  throwOnTick = false;

  constructor(
    readonly out: CoreOutput,
    readonly createdAt: number,
  ) {}

  receive(from: string, bytes: Uint8Array, channel: Channel, now: number): void {
    this.received.push({ from, data: bytes[0]!, channel, now });
    // Echo like a ping/ack, and report it as an event.
    if (bytes[0] === 1) this.out.send(from, Uint8Array.of(2), 'datagram');
    this.out.event({ type: 'probe-rtt', target: from, ms: 0 });
  }

  tick(now: number): void {
    this.ticks.push(now);
    this.deadline = this.afterTick(now);
    if (this.throwOnTick) throw new Error('tick failed');
  }

  nextDeadline(): number {
    this.deadlineReads++;
    return this.deadline;
  }
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for condition');
    await sleep(5);
  }
}

describe('NodeRunner (fake core, real UDP and timers)', () => {
  const runners: NodeRunner<FakeCore>[] = [];
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.close()));
  });
  async function start(
    opts: { maxTimerMs?: number; onCoreError?: (e: unknown, phase: string) => void } = {},
  ) {
    const transport = await UdpTransport.bind('127.0.0.1:0', { maxDatagramBytes: 1400 });
    const events: CoreEvent[] = [];
    const runner = new NodeRunner<FakeCore>({
      transport,
      createCore: (out, now) => new FakeCore(out, now),
      onEvent: (e) => events.push(e),
      ...opts,
    });
    runners.push(runner);
    return { runner, core: runner.core, transport, events };
  }

  it('wires received packets into the core with the current time, and core output to the socket', async () => {
    const a = await start();
    const b = await start();
    expect(Math.abs(a.core.createdAt - monotonicNow())).to.be.lessThan(1000);
    const sentAt = monotonicNow();
    a.runner.run((_now, core) => core.out.send(b.transport.localAddr, Uint8Array.of(1), 'datagram'));
    await until(() => a.core.received.length === 1);
    expect(b.core.received[0]).to.include({ from: a.transport.localAddr, data: 1, channel: 'datagram' });
    expect(a.core.received[0]).to.include({ from: b.transport.localAddr, data: 2 });
    expect(b.core.received[0]!.now).to.be.within(sentAt, monotonicNow());
    expect(a.events).to.deep.equal([{ type: 'probe-rtt', target: b.transport.localAddr, ms: 0 }]);
  });

  it('ticks once when the deadline comes due, not before, and not again while nothing is scheduled', async () => {
    const a = await start({ maxTimerMs: 40 });
    const due = a.runner.run((now, core) => {
      core.deadline = now + 120;
      return core.deadline;
    });
    await sleep(60);
    expect(a.core.ticks).to.deep.equal([]); // the 40 ms cap woke the runner, but it was not due
    await until(() => a.core.ticks.length === 1);
    expect(a.core.ticks[0]!).to.be.at.least(due);
    await sleep(150);
    expect(a.core.ticks).to.have.length(1);
  });

  it('keeps ticking at the cadence the core asks for', async () => {
    const a = await start();
    a.core.afterTick = (now) => now + 20;
    a.runner.run((now, core) => {
      core.deadline = now + 20;
    });
    await sleep(230);
    // ~11 ticks expected; allow for a loaded machine.
    expect(a.core.ticks.length).to.be.within(5, 12);
    const gaps = a.core.ticks.slice(1).map((t, i) => t - a.core.ticks[i]!);
    expect(Math.min(...gaps)).to.be.at.least(20);
  });

  it('re-arms earlier when an API call or a packet moves the deadline forward', async () => {
    const a = await start({ maxTimerMs: 1000 });
    a.runner.run((now, core) => {
      core.deadline = now + 900;
    });
    const t0 = monotonicNow();
    a.runner.run((now, core) => {
      core.deadline = now + 30;
    });
    await until(() => a.core.ticks.length === 1);
    expect(monotonicNow() - t0).to.be.lessThan(400);
  });

  it('re-arms later when the deadline moves later: the old time does not wake the process', async () => {
    const a = await start({ maxTimerMs: 1000 });
    a.runner.run((now, core) => {
      core.deadline = now + 30; // e.g. a probe's timeout …
    });
    const due = a.runner.run((now, core) => {
      core.deadline = now + 300; // … whose ack came: the core now waits for the next probe
      return core.deadline;
    });
    const reads = a.core.deadlineReads;
    await sleep(150);
    expect(a.core.deadlineReads, 'woken at the stale time').to.equal(reads);
    await until(() => a.core.ticks.length === 1);
    expect(a.core.ticks[0]!).to.be.at.least(due);
  });

  it('ticks promptly for a deadline already in the past', async () => {
    const a = await start();
    const t0 = monotonicNow();
    a.runner.run((now, core) => {
      core.deadline = now - 5000;
    });
    await until(() => a.core.ticks.length === 1);
    expect(monotonicNow() - t0).to.be.lessThan(200);
  });

  it('reports a throwing tick to onCoreError and keeps running', async () => {
    const errors: string[] = [];
    const a = await start({ onCoreError: (e, phase) => errors.push(`${phase}:${(e as Error).message}`) });
    a.core.throwOnTick = true;
    a.core.afterTick = (now) => now + 10;
    a.runner.run((now, core) => {
      core.deadline = now;
    });
    await until(() => a.core.ticks.length >= 3);
    expect(errors.slice(0, 3)).to.deep.equal(['tick:tick failed', 'tick:tick failed', 'tick:tick failed']);
  });

  it('forwards transport send errors to onSendError', async () => {
    const transport = await UdpTransport.bind('127.0.0.1:0', { maxDatagramBytes: 100 });
    const failed: Array<[string, Channel]> = [];
    const runner = new NodeRunner<FakeCore>({
      transport,
      createCore: (out, now) => new FakeCore(out, now),
      onSendError: (to, channel) => failed.push([to, channel]),
    });
    runners.push(runner);
    runner.run((_now, core) => core.out.send('127.0.0.1:9', new Uint8Array(101), 'datagram'));
    expect(failed).to.deep.equal([['127.0.0.1:9', 'datagram']]);
  });

  it('stops ticking and closes the transport on close()', async () => {
    const a = await start();
    a.core.afterTick = (now) => now + 10;
    a.runner.run((now, core) => {
      core.deadline = now + 10;
    });
    await until(() => a.core.ticks.length >= 2);
    await a.runner.close();
    const count = a.core.ticks.length;
    await sleep(60);
    expect(a.core.ticks).to.have.length(count);
    expect(() => a.runner.run(() => 0)).to.throw('closed');
    // The port was released.
    const again = await UdpTransport.bind(a.transport.localAddr, { maxDatagramBytes: 100 });
    await again.close();
  });
});
