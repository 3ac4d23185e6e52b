import { expect } from 'chai';
import fc from 'fast-check';
import { ByteWriter } from '../../src/agent/wire/byte-writer.js';
import { KEY_BYTES, Keyring } from '../../src/agent/wire/keyring.js';
import { encodeMessage } from '../../src/agent/wire/message-codec.js';
import type { Message, PacketSender } from '../../src/agent/wire/messages.js';
import {
  type DecodePacketResult,
  decodePacket,
  encodePacket,
  encodePrefixed,
  framedSize,
  packetOverhead,
  packetPrefix,
  prefixedOverhead,
  prefixMatches,
} from '../../src/agent/wire/packet-codec.js';
import { cluster as clusterArb, message, sender as senderArb } from './arbitraries.js';

const CLUSTER = 'prod-eu';
const MAX = 65_000;
const sender: PacketSender = {
  name: 'node-12',
  generation: 1_764_000_000_000,
  addr: '10.0.0.12:7946',
  seq: 4321,
};
const key = (fill: number): Uint8Array => new Uint8Array(KEY_BYTES).fill(fill);
let nonceCounter = 0;
const countingNonces = (size: number): Uint8Array => new Uint8Array(size).fill(++nonceCounter & 0xff);
const ring = (...fills: number[]): Keyring => new Keyring(fills.map(key), countingNonces);

const plainOpts = { cluster: CLUSTER, keyring: null, maxBytes: MAX };
const sample: Message[] = [
  { t: 'ping', seq: 9, target: 'node-3' },
  { t: 'ae-equal', session: 77 },
  {
    t: 'user-event',
    rumor: { origin: 'a', originTime: 1, hops: 0 },
    generation: 2,
    seq: 3,
    name: 'deploy',
    payload: Uint8Array.of(1, 2),
  },
];
const samplePacket = (): Uint8Array => encodePacket(CLUSTER, sender, sample.map(encodeMessage), null);

const reasonOf = (r: DecodePacketResult): string => (r.ok ? 'ok' : r.reason);

describe('wire/packet-codec', () => {
  it('round-trips random packets, plaintext and encrypted, and plaintext re-encodes identically', () => {
    const k = ring(1, 2);
    fc.assert(
      fc.property(
        clusterArb(),
        senderArb(),
        fc.array(message(), { maxLength: 6 }),
        fc.boolean(),
        (c, s, ms, enc) => {
          const encoded = ms.map(encodeMessage);
          const bytes = encodePacket(c, s, encoded, enc ? k : null);
          const r = decodePacket(bytes, { cluster: c, keyring: enc ? k : null, maxBytes: 1 << 22 });
          if (!r.ok) expect.fail(`dropped: ${r.reason}`);
          expect(r.packet).to.deep.equal({ cluster: c, sender: s, messages: ms });
          if (!enc)
            expect(encodePacket(c, s, r.packet.messages.map(encodeMessage), null)).to.deep.equal(bytes);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('packetOverhead + Σ framedSize is the exact packet length (up to 127 messages)', () => {
    const k = ring(1);
    fc.assert(
      fc.property(
        clusterArb(),
        senderArb(),
        fc.array(message(), { maxLength: 127 }),
        fc.boolean(),
        (c, s, ms, enc) => {
          const encoded = ms.map(encodeMessage);
          const keyring = enc ? k : null;
          const predicted = packetOverhead(c, s, keyring) + encoded.reduce((n, m) => n + framedSize(m), 0);
          expect(encodePacket(c, s, encoded, keyring).length).to.equal(predicted);
        },
      ),
      { numRuns: 300 },
    );
    // framedSize counts the varint prefix: 2 bytes once a message reaches 128 bytes.
    expect(framedSize(new Uint8Array(127))).to.equal(128);
    expect(framedSize(new Uint8Array(128))).to.equal(130);
  });

  it('a prefix encoded once gives the same packets as encodePacket, for every sequence number', () => {
    const k = ring(1);
    fc.assert(
      fc.property(
        clusterArb(),
        senderArb(),
        fc.array(message(), { maxLength: 5 }),
        fc.boolean(),
        (c, s, ms, enc) => {
          const encoded = ms.map(encodeMessage);
          const keyring = enc ? k : null;
          const prefix = packetPrefix(c, s, enc);
          expect(prefixMatches(prefix, c, s, enc)).to.equal(true);
          expect(prefixedOverhead(prefix, s.seq)).to.equal(packetOverhead(c, s, keyring));
          for (const seq of [s.seq, 0, 2 ** 40]) {
            const once = encodePrefixed(prefix, seq, encoded, keyring);
            const opts = { cluster: c, keyring, maxBytes: 1 << 22 };
            const r = decodePacket(once, opts);
            if (!r.ok) expect.fail(`dropped: ${r.reason}`);
            expect(r.packet.sender).to.deep.equal({ ...s, seq });
            if (!enc) expect(once).to.deep.equal(encodePacket(c, { ...s, seq }, encoded, null));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a prefix matches only its own cluster, sender and encryption; misuse is refused', () => {
    const prefix = packetPrefix(CLUSTER, sender, false);
    expect(
      prefixMatches(
        prefix,
        CLUSTER,
        { name: 'node-12', generation: sender.generation, addr: sender.addr },
        false,
      ),
    ).to.equal(true);
    expect(prefixMatches(prefix, 'other', sender, false)).to.equal(false);
    expect(prefixMatches(prefix, CLUSTER, { ...sender, name: 'node-13' }, false)).to.equal(false);
    expect(prefixMatches(prefix, CLUSTER, { ...sender, generation: sender.generation + 1 }, false)).to.equal(
      false,
    );
    expect(prefixMatches(prefix, CLUSTER, { ...sender, addr: '10.0.0.13:7946' }, false)).to.equal(false);
    expect(prefixMatches(prefix, CLUSTER, sender, true)).to.equal(false);
    expect(() => encodePrefixed(prefix, 1, [], ring(1))).to.throw(RangeError, /encryption/);
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => encodePrefixed(prefix, bad, [], null)).to.throw(RangeError, /sender seq/);
    }
    expect(() => packetPrefix(CLUSTER, { ...sender, name: '' }, false)).to.throw(RangeError, /sender name/);
  });

  it('lays out the header as magic, version, flags, cluster', () => {
    const p = samplePacket();
    expect(Array.from(p.subarray(0, 5))).to.deep.equal([0x47, 0x56, 1, 0, CLUSTER.length]);
    expect(new TextDecoder().decode(p.subarray(5, 5 + CLUSTER.length))).to.equal(CLUSTER);
    const e = encodePacket(CLUSTER, sender, [], ring(1));
    expect(e[3]).to.equal(1);
  });

  it('an anti-entropy equal-state exchange costs at most 200 bytes, encrypted, with realistic names', () => {
    const k = ring(1);
    const session = 0xfffffffe; // worst case for a 32-bit session id
    const start = encodePacket(
      CLUSTER,
      sender,
      [
        encodeMessage({
          t: 'ae-start',
          session,
          mode: 'push-pull',
          root: [0xdeadbeef, 0x01234567],
          count: 1_000_000,
        }),
      ],
      k,
    );
    const reply = encodePacket(
      CLUSTER,
      { ...sender, name: 'node-13', addr: '10.0.0.13:7946' },
      [encodeMessage({ t: 'ae-equal', session })],
      k,
    );
    expect(start.length + reply.length).to.be.at.most(200);
    // header 12 + sender 31 (name 8, generation 6, addr 15, seq 2) + count 1 + nonce/tag 28 = 72 per packet;
    // framed ae-start 19 (type, session 5, mode, root 8, count 3) and ae-equal 7.
    expect(start.length).to.equal(72 + 19);
    expect(reply.length).to.equal(72 + 7);
  });

  it('encrypted packets open with every key of the ring (rotation)', () => {
    const sealedByOld = encodePacket(CLUSTER, sender, sample.map(encodeMessage), ring(1));
    const rotated = ring(2, 1);
    const r = decodePacket(sealedByOld, { ...plainOpts, keyring: rotated });
    expect(r.ok && r.packet.messages).to.deep.equal(sample);
    expect(reasonOf(decodePacket(sealedByOld, { ...plainOpts, keyring: ring(3, 2) }))).to.equal('bad-key');
  });

  it('drops with bad-key: encrypted without a keyring, plaintext into an encrypted cluster', () => {
    const sealed = encodePacket(CLUSTER, sender, sample.map(encodeMessage), ring(1));
    expect(reasonOf(decodePacket(sealed, plainOpts))).to.equal('bad-key');
    expect(reasonOf(decodePacket(samplePacket(), { ...plainOpts, keyring: ring(1) }))).to.equal('bad-key');
  });

  it('authenticates the header and ciphertext of sealed packets', () => {
    const k = ring(1);
    const sealed = encodePacket('abc', sender, sample.map(encodeMessage), k);
    const renamed = Uint8Array.from(sealed);
    renamed[5] = 'x'.charCodeAt(0); // 'abc' → 'xbc'
    expect(reasonOf(decodePacket(renamed, { cluster: 'xbc', keyring: k, maxBytes: MAX }))).to.equal(
      'bad-key',
    );
    const flipped = Uint8Array.from(sealed);
    flipped[sealed.length - 20] = flipped[sealed.length - 20]! ^ 0x10;
    expect(reasonOf(decodePacket(flipped, { cluster: 'abc', keyring: k, maxBytes: MAX }))).to.equal(
      'bad-key',
    );
    expect(
      reasonOf(decodePacket(sealed.subarray(0, 4 + 4 + 27), { cluster: 'abc', keyring: k, maxBytes: MAX })),
    ).to.equal('malformed');
  });

  it('checks the cluster before trying to decrypt', () => {
    const sealed = encodePacket('other', sender, [], ring(9));
    expect(reasonOf(decodePacket(sealed, { ...plainOpts, keyring: ring(1) }))).to.equal('foreign-cluster');
    expect(reasonOf(decodePacket(encodePacket('other', sender, [], null), plainOpts))).to.equal(
      'foreign-cluster',
    );
  });

  it('drops oversize, bad magic, other versions, unknown flags and trailing garbage', () => {
    const p = samplePacket();
    expect(reasonOf(decodePacket(p, { ...plainOpts, maxBytes: p.length }))).to.equal('ok');
    expect(reasonOf(decodePacket(p, { ...plainOpts, maxBytes: p.length - 1 }))).to.equal('oversize');
    const edit = (at: number, v: number) => {
      const b = Uint8Array.from(p);
      b[at] = v;
      return reasonOf(decodePacket(b, plainOpts));
    };
    expect(edit(0, 0x48)).to.equal('malformed');
    expect(edit(2, 2)).to.equal('unsupported-version');
    expect(edit(3, 2)).to.equal('malformed');
    expect(reasonOf(decodePacket(Uint8Array.of(...p, 0), plainOpts))).to.equal('malformed');
    // An empty cluster name is never valid, even if the receiver were configured with one.
    expect(
      reasonOf(
        decodePacket(Uint8Array.of(0x47, 0x56, 1, 0, 0, 1, 0x61, 0, 0, 0, 0), { ...plainOpts, cluster: '' }),
      ),
    ).to.equal('malformed');
  });

  it('drops a message count or length that lies', () => {
    const w = new ByteWriter();
    const header = samplePacket().subarray(0, 5 + CLUSTER.length);
    w.raw(header);
    w.string(sender.name, 128);
    w.varint(sender.generation);
    w.string(sender.addr, 80);
    w.varint(sender.seq);
    w.varint(1);
    w.varint(50); // says 50 bytes, has 3
    w.raw(encodeMessage({ t: 'ack', seq: 1000 }));
    expect(reasonOf(decodePacket(w.finish(), plainOpts))).to.equal('malformed');
  });

  it('every truncation of a valid packet is dropped, never thrown', () => {
    for (const keyring of [null, ring(1)]) {
      const p = encodePacket(CLUSTER, sender, sample.map(encodeMessage), keyring);
      for (let n = 0; n < p.length; n++) {
        const r = decodePacket(p.subarray(0, n), { ...plainOpts, keyring });
        expect(r.ok, `truncated to ${n}`).to.equal(false);
      }
    }
  });

  it('random byte mutations of valid packets never throw', () => {
    const p = samplePacket();
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(p.length - 1), fc.nat(255)), { minLength: 1, maxLength: 6 }),
        (edits) => {
          const b = Uint8Array.from(p);
          for (const [at, v] of edits) b[at] = v;
          const r = decodePacket(b, plainOpts);
          if (r.ok)
            expect(
              encodePacket(CLUSTER, r.packet.sender, r.packet.messages.map(encodeMessage), null),
            ).to.deep.equal(b);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('random byte arrays never throw', () => {
    const k = ring(1);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (b, enc) => {
        decodePacket(b, { ...plainOpts, keyring: enc ? k : null });
        // Also with a valid header prefix, so the body parser sees random input.
        const withHeader = Uint8Array.of(...samplePacket().subarray(0, 5 + CLUSTER.length), ...b);
        decodePacket(withHeader, plainOpts);
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses to encode an invalid cluster or sender', () => {
    expect(() => encodePacket('', sender, [], null)).to.throw(RangeError);
    expect(() => encodePacket('c'.repeat(65), sender, [], null)).to.throw(RangeError);
    expect(() => encodePacket(CLUSTER, { ...sender, name: '' }, [], null)).to.throw(RangeError);
    expect(() => packetOverhead(CLUSTER, { ...sender, seq: -1 }, null)).to.throw(RangeError);
  });
});
