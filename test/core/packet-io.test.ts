// PacketIO on its own, through PacketIOHost: what goes out is what comes in, every transmission is
// counted once per packet, rumors top datagrams up within the size limit, and refusals are counted.
import { expect } from 'chai';
import type { Channel } from '../../src/agent/base/types.js';
import { PacketIO } from '../../src/agent/core/packet-io.js';
import { type CoreStats, emptyStats } from '../../src/agent/core/types.js';
import { Keyring } from '../../src/agent/wire/keyring.js';
import { encodeMessage } from '../../src/agent/wire/message-codec.js';
import type { Addr, Message } from '../../src/agent/wire/messages.js';
import { T0 } from './fakes.js';

interface Endpoint {
  io: PacketIO;
  stats: CoreStats;
  wire: Array<{ to: Addr; bytes: Uint8Array; channel: Channel }>;
  rumors: Uint8Array[];
}

function endpoint(
  name: string,
  opts: {
    cluster?: string;
    keyring?: Keyring | null;
    maxPacketBytes?: number;
    generation?: { value: number };
  } = {},
): Endpoint {
  const stats = emptyStats();
  const wire: Endpoint['wire'] = [];
  const rumors: Uint8Array[] = [];
  const io = new PacketIO(
    {
      stats,
      cluster: () => opts.cluster ?? 'test',
      maxPacketBytes: () => opts.maxPacketBytes ?? 1_400,
      sender: () => ({ name, generation: opts.generation?.value ?? T0, addr: `${name}.local:7946` }),
      // Hands out the waiting rumors that fit, like the rumor queue does.
      fill: (budget, framedSize) => {
        const out: { bytes: Uint8Array }[] = [];
        let left = budget;
        while (rumors.length > 0 && framedSize(rumors[0]!) <= left) {
          const bytes = rumors.shift()!;
          left -= framedSize(bytes);
          out.push({ bytes });
        }
        return out;
      },
      transmit: (to, bytes, channel) => wire.push({ to, bytes, channel }),
    },
    opts.keyring ?? null,
  );
  return { io, stats, wire, rumors };
}

const ping: Message = { t: 'ping', seq: 1, target: 'b' };
const kvRumor = (i: number): Uint8Array =>
  encodeMessage({
    t: 'kv',
    rumor: { origin: 'a', originTime: T0, hops: 0 },
    entry: { key: `key-${i}`, value: new Uint8Array(40), clock: i + 1, writer: 'a', at: T0 },
  });

describe('PacketIO (unit, fake host)', () => {
  it('a packet sent by one side decodes on the other with its sender and messages', () => {
    const a = endpoint('a');
    const b = endpoint('b');
    const bytes = a.io.sendMessages('b.local:7946', [ping, { t: 'ack', seq: 9 }], 'datagram', false);
    expect(a.wire).to.have.length(1);
    expect(bytes).to.equal(a.wire[0]!.bytes.length);
    const inbound = b.io.decode(a.wire[0]!.bytes, 'datagram');
    expect(inbound?.sender).to.deep.include({ name: 'a', generation: T0, addr: 'a.local:7946' });
    expect(inbound?.messages).to.deep.equal([ping, { t: 'ack', seq: 9 }]);
    expect(a.stats).to.deep.include({ packetsSent: 1, bytesSent: bytes });
    expect(a.stats.messagesSent).to.deep.equal({ ping: 1, ack: 1 });
    expect(b.stats.messagesReceived).to.deep.equal({ ping: 1, ack: 1 });
  });

  it('tops a datagram up with rumors up to maxPacketBytes, counting each rumor it carries', () => {
    const a = endpoint('a', { maxPacketBytes: 512 });
    for (let i = 0; i < 30; i++) a.rumors.push(kvRumor(i));
    a.io.sendMessages('b.local:7946', [ping], 'datagram', true);
    const size = a.wire[0]!.bytes.length;
    expect(size).to.be.at.most(512);
    const carried = 30 - a.rumors.length;
    expect(carried).to.be.greaterThan(3);
    // Nothing more would have fit: the next rumor's frame exceeds what is left.
    expect(size + kvRumor(99).length + 1).to.be.greaterThan(512);
    expect(a.stats.messagesSent).to.deep.equal({ ping: 1, kv: carried });
    // Without fill, no rumor rides along.
    a.io.sendMessages('b.local:7946', [ping], 'datagram', false);
    expect(a.stats.messagesSent.kv).to.equal(carried);
  });

  it('sends nothing for an empty message list with nothing to fill', () => {
    const a = endpoint('a');
    expect(a.io.sendMessages('b.local:7946', [], 'datagram', true)).to.equal(0);
    expect(a.wire).to.deep.equal([]);
    expect(a.stats.packetsSent).to.equal(0);
  });

  it('ignores its own packets, and counts foreign-cluster, oversize and malformed ones as drops', () => {
    const a = endpoint('a');
    const other = endpoint('x', { cluster: 'other' });
    a.io.sendMessages('b', [ping], 'datagram', false);
    expect(a.io.decode(a.wire[0]!.bytes, 'datagram')).to.equal(null);
    expect(a.stats.dropped).to.deep.equal({});
    other.io.sendMessages('a', [ping], 'datagram', false);
    expect(a.io.decode(other.wire[0]!.bytes, 'datagram')).to.equal(null);
    expect(a.io.decode(new Uint8Array(1_401), 'datagram')).to.equal(null);
    expect(a.io.decode(new Uint8Array([1, 2, 3]), 'datagram')).to.equal(null);
    expect(a.stats.dropped).to.deep.equal({ 'foreign-cluster': 1, oversize: 1, malformed: 1 });
    expect(a.stats.packetsReceived).to.equal(4);
  });

  it('with a keyring: refuses packets without the key and replays of a sealed packet', () => {
    const key = new Uint8Array(32).fill(3);
    const a = endpoint('a', { keyring: new Keyring([key]) });
    const b = endpoint('b', { keyring: new Keyring([key]) });
    const plain = endpoint('p');
    a.io.sendMessages('b', [ping], 'datagram', false);
    plain.io.sendMessages('b', [ping], 'datagram', false);
    expect(b.io.decode(a.wire[0]!.bytes, 'datagram')?.messages).to.deep.equal([ping]);
    expect(b.io.decode(a.wire[0]!.bytes, 'datagram'), 'the same packet again').to.equal(null);
    expect(b.io.decode(plain.wire[0]!.bytes, 'datagram')).to.equal(null);
    expect(b.stats.dropped.replay).to.equal(1);
    expect(Object.values(b.stats.dropped).reduce((s, n) => s + (n ?? 0), 0)).to.equal(2);
    // After a key change to none, sealed packets are refused too.
    b.io.setKeyring(null);
    a.io.sendMessages('b', [ping], 'datagram', false);
    expect(b.io.decode(a.wire[1]!.bytes, 'datagram')).to.equal(null);
  });

  it('re-encodes its own header when the generation or the keyring changes; the fill still fits', () => {
    const key = new Uint8Array(32).fill(5);
    const rumor = kvRumor(1);
    const bare = endpoint('a');
    bare.io.sendMessages('b', [ping], 'datagram', false);
    // Room for five rumors in plaintext with 10 bytes to spare: fewer than nonce and tag take.
    const max = bare.wire[0]!.bytes.length + 5 * (rumor.length + 1) + 10;
    const generation = { value: T0 };
    const a = endpoint('a', { maxPacketBytes: max, generation });
    const b = endpoint('b', { keyring: new Keyring([key]), maxPacketBytes: max });
    const plainB = endpoint('b', { maxPacketBytes: max });
    for (let i = 0; i < 20; i++) a.rumors.push(rumor);
    a.io.sendMessages('b', [ping], 'datagram', true);
    expect(plainB.io.decode(a.wire[0]!.bytes, 'datagram')?.messages).to.have.length(6);
    a.io.setKeyring(new Keyring([key]));
    a.io.sendMessages('b', [ping], 'datagram', true);
    const sealed = a.wire[1]!.bytes;
    expect(sealed.length).to.be.at.most(max);
    expect(b.io.decode(sealed, 'datagram')?.messages).to.have.length(5);
    generation.value = T0 + 5;
    a.io.sendMessages('b', [ping], 'datagram', false);
    expect(b.io.decode(a.wire[2]!.bytes, 'datagram')?.sender).to.deep.include({
      generation: T0 + 5,
      seq: 3,
    });
  });

  it('counts stream packets of anti-entropy sessions in antiEntropyBytes, and nothing else there', () => {
    const a = endpoint('a');
    a.io.sendMessages('b', [{ t: 'ae-equal', session: 1 }], 'stream', false);
    a.io.sendMessages('b', [ping], 'stream', false);
    expect(a.stats.antiEntropyBytes).to.equal(a.wire[0]!.bytes.length);
  });
});
