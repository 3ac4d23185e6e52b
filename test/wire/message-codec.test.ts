import { expect } from 'chai';
import fc from 'fast-check';
import { ByteWriter } from '../../src/agent/wire/byte-writer.js';
import { DecodeError } from '../../src/agent/wire/decode-error.js';
import { decodeMessageBytes, encodeMessage, MESSAGE_TYPE_CODES } from '../../src/agent/wire/message-codec.js';
import type { MemberRecord, Message } from '../../src/agent/wire/messages.js';
import { messageArbs } from './arbitraries.js';

const member: MemberRecord = {
  name: 'node-1',
  addr: '10.0.0.1:7946',
  generation: 1_764_000_000_000,
  incarnation: 3,
  state: 'suspect',
  tags: { zone: 'a', role: 'db' },
};
const rumor = { origin: 'node-2', originTime: 1_764_000_000_123, hops: 2 };

describe('wire/message-codec', () => {
  for (const [t, arb] of Object.entries(messageArbs)) {
    it(`round-trips ${t} (1000 runs) with a canonical encoding`, () => {
      fc.assert(
        fc.property(arb as fc.Arbitrary<Message>, (m) => {
          const bytes = encodeMessage(m);
          expect(bytes[0]).to.equal(MESSAGE_TYPE_CODES[m.t]);
          const back = decodeMessageBytes(bytes);
          expect(back).to.deep.equal(m);
          expect(encodeMessage(back)).to.deep.equal(bytes);
        }),
        { numRuns: 1000 },
      );
    });
  }

  it('keeps small messages small', () => {
    const session = 123_456_789;
    expect(encodeMessage({ t: 'ae-equal', session }).length).to.equal(5);
    expect(
      encodeMessage({ t: 'ae-start', session, mode: 'push-pull', root: [1, 2], count: 500 }).length,
    ).to.equal(1 + 4 + 1 + 8 + 2);
    expect(encodeMessage({ t: 'ack', seq: 1000 }).length).to.equal(3);
    expect(encodeMessage({ t: 'ping', seq: 1000, target: 'node-1' }).length).to.equal(10);
  });

  it('distinguishes a kv tombstone from an empty value', () => {
    const entry = { key: 'k', value: null, clock: 1, writer: 'w', at: 5 };
    const tomb = decodeMessageBytes(encodeMessage({ t: 'kv', rumor, entry }));
    const empty = decodeMessageBytes(
      encodeMessage({ t: 'kv', rumor, entry: { ...entry, value: new Uint8Array(0) } }),
    );
    expect(tomb).to.have.nested.property('entry.value', null);
    expect((empty as Extract<Message, { t: 'kv' }>).entry.value).to.deep.equal(new Uint8Array(0));
  });

  it('encodes tags sorted, so equal maps encode identically whatever their insertion order', () => {
    const a = encodeMessage({
      t: 'member',
      rumor,
      member: { ...member, tags: { b: '2', a: '1', '10': 'x' } },
      from: 'x',
    });
    const b = encodeMessage({
      t: 'member',
      rumor,
      member: { ...member, tags: { '10': 'x', a: '1', b: '2' } },
      from: 'x',
    });
    expect(a).to.deep.equal(b);
  });

  it('keeps a __proto__ tag as data', () => {
    const tags: Record<string, string> = {};
    Object.defineProperty(tags, '__proto__', {
      value: 'p',
      enumerable: true,
      writable: true,
      configurable: true,
    });
    const back = decodeMessageBytes(
      encodeMessage({ t: 'member', rumor, member: { ...member, tags }, from: 'x' }),
    );
    const got = (back as Extract<Message, { t: 'member' }>).member.tags;
    expect(Object.getPrototypeOf(got)).to.equal(Object.prototype);
    expect(Object.keys(got)).to.deep.equal(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(got, '__proto__')?.value).to.equal('p');
  });

  describe('refuses to encode what a peer would reject', () => {
    const cases: Array<[string, Message]> = [
      ['empty target', { t: 'ping', seq: 1, target: '' }],
      ['long name', { t: 'ping', seq: 1, target: 'x'.repeat(129) }],
      ['negative seq', { t: 'ack', seq: -1 }],
      ['hops > 255', { t: 'member', rumor: { ...rumor, hops: 256 }, member, from: 'x' }],
      ['addr > 80', { t: 'ping-req', seq: 1, target: 'a', targetAddr: 'a'.repeat(81) }],
      ['tree level 9', { t: 'ae-tree', session: 1, nodes: [{ level: 9, index: 0, hash: [0, 0], count: 0 }] }],
      ['unknown state', { t: 'member', rumor, member: { ...member, state: 'zombie' as 'alive' }, from: 'x' }],
      ['unknown mode', { t: 'ae-start', session: 1, mode: 'both' as 'push', root: [0, 0], count: 0 }],
      [
        '65 tags',
        {
          t: 'member',
          rumor,
          member: {
            ...member,
            tags: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])),
          },
          from: 'x',
        },
      ],
      [
        'tag value > 512',
        { t: 'member', rumor, member: { ...member, tags: { k: 'v'.repeat(513) } }, from: 'x' },
      ],
      [
        'payload > 64 KiB',
        { t: 'user-event', rumor, generation: 1, seq: 1, name: 'e', payload: new Uint8Array(65_537) },
      ],
      [
        'kv key > 256',
        { t: 'kv', rumor, entry: { key: 'k'.repeat(257), value: null, clock: 1, writer: 'w', at: 1 } },
      ],
    ];
    for (const [what, m] of cases) {
      it(what, () => {
        expect(() => encodeMessage(m)).to.throw(RangeError);
      });
    }
  });

  describe('decode validation', () => {
    const bytesOf = (build: (w: ByteWriter) => void): Uint8Array => {
      const w = new ByteWriter();
      build(w);
      return w.finish();
    };
    const rejects = (bytes: Uint8Array, pattern: RegExp) =>
      expect(() => decodeMessageBytes(bytes)).to.throw(DecodeError, pattern);

    it('unknown type byte and empty input', () => {
      rejects(Uint8Array.of(0), /unknown message type 0/);
      rejects(Uint8Array.of(18), /unknown message type 18/);
      rejects(new Uint8Array(0), /truncated/);
    });

    it('trailing bytes after a message', () => {
      const ok = encodeMessage({ t: 'ack', seq: 7 });
      rejects(Uint8Array.of(...ok, 0), /trailing/);
    });

    it('member state and ae mode enums', () => {
      const good = encodeMessage({ t: 'ae-start', session: 1, mode: 'pull', root: [0, 0], count: 0 });
      const bad = Uint8Array.from(good);
      bad[2] = 3;
      rejects(bad, /mode: unknown value 3/);
      const m = encodeMessage({ t: 'member', rumor, member: { ...member, tags: {} }, from: 'x' });
      const stateAt = m.length - 1 - 2 - 1; // before tag count (1) and from (2)
      expect(m[stateAt]).to.equal(1); // suspect
      const badState = Uint8Array.from(m);
      badState[stateAt] = 4;
      rejects(badState, /state: unknown value 4/);
    });

    it('empty and over-long names', () => {
      rejects(
        bytesOf((w) => {
          w.u8(MESSAGE_TYPE_CODES.ping);
          w.varint(1);
          w.varint(0);
        }),
        /target: must not be empty/,
      );
      rejects(
        bytesOf((w) => {
          w.u8(MESSAGE_TYPE_CODES.ping);
          w.varint(1);
          w.string('x'.repeat(129), 1000);
        }),
        /exceeds 128/,
      );
    });

    it('tree level above 8', () => {
      rejects(
        bytesOf((w) => {
          w.u8(MESSAGE_TYPE_CODES['ae-tree']);
          w.varint(1);
          w.varint(1);
          w.u8(9);
          w.varint(0);
          w.hash64([0, 0]);
          w.varint(0);
        }),
        /level: 9 exceeds 8/,
      );
    });

    it('lying array lengths are refused before allocation', () => {
      for (const t of ['ae-tree', 'ae-keys', 'ae-entries', 'ae-part'] as const) {
        rejects(
          bytesOf((w) => {
            w.u8(MESSAGE_TYPE_CODES[t]);
            w.varint(1);
            w.varint(2 ** 40);
          }),
          /cannot fit/,
        );
      }
    });

    it('tag maps: too many entries, unsorted or duplicate keys', () => {
      const withTags = (pairs: Array<[string, string]>, count = pairs.length) =>
        bytesOf((w) => {
          w.u8(MESSAGE_TYPE_CODES.member);
          w.string('o', 128);
          w.varint(1);
          w.u8(0);
          w.string('n', 128);
          w.string('a:1', 80);
          w.varint(1);
          w.varint(0);
          w.u8(0);
          w.varint(count);
          for (const [k, v] of pairs) {
            w.string(k, 1000);
            w.string(v, 1000);
          }
          w.string('f', 128);
        });
      expect(() => decodeMessageBytes(withTags([['a', '1']]))).not.to.throw();
      rejects(
        withTags([
          ['b', '1'],
          ['a', '2'],
        ]),
        /strictly ascending/,
      );
      rejects(
        withTags([
          ['a', '1'],
          ['a', '2'],
        ]),
        /strictly ascending/,
      );
      rejects(
        withTags(Array.from({ length: 65 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 'v'])),
        /exceeds 64/,
      );
      rejects(withTags([['k'.repeat(129), 'v']]), /tag key length: 129 exceeds 128/);
      rejects(withTags([['k', 'v'.repeat(513)]]), /tag value length: 513 exceeds 512/);
    });

    it('queries: unknown format or flag bits, unsorted tag filters, over-long lists and timeouts', () => {
      const query: Extract<Message, { t: 'query' }> = {
        t: 'query',
        rumor: { origin: 'o', originTime: 1, hops: 0 },
        generation: 1,
        seq: 1,
        originAddr: '10.0.0.1:7946',
        timeoutMs: 5_000,
        ack: true,
        filters: { nodes: ['a'], tags: [{ key: 'role', pattern: 'web.*' }] },
        name: 'uptime',
        payload: new Uint8Array(0),
      };
      const ok = encodeMessage(query);
      expect(decodeMessageBytes(ok)).to.deep.equal(query);
      // Byte 0 is the type, 1 the format; the flags follow rumor, generation, seq, originAddr, timeout.
      rejects(Uint8Array.of(ok[0]!, 2, ...ok.subarray(2)), /query format 2 is not supported/);
      const flagsAt = 2 + (2 + 1 + 1) + 1 + 1 + (1 + query.originAddr.length) + 2;
      expect(ok[flagsAt]).to.equal(1);
      rejects(Uint8Array.of(...ok.subarray(0, flagsAt), 3, ...ok.subarray(flagsAt + 1)), /unknown bits 3/);
      const response = encodeMessage({
        t: 'query-response',
        generation: 1,
        seq: 1,
        ack: false,
        payload: new Uint8Array(0),
      });
      rejects(Uint8Array.of(response[0]!, 0, ...response.subarray(2)), /query format 0/);
      const twoTags = encodeMessage({
        ...query,
        filters: {
          nodes: [],
          tags: [
            { key: 'b', pattern: '1' },
            { key: 'a', pattern: '2' },
          ],
        },
      });
      // Encoding sorts the filters; the same two written out of order are refused.
      const sorted = decodeMessageBytes(twoTags) as typeof query;
      expect(sorted.filters.tags.map((t) => t.key)).to.deep.equal(['a', 'b']);
      const at = twoTags.indexOf(0x61); // 'a'
      const swapped = Uint8Array.from(twoTags);
      swapped[at] = 0x62;
      swapped[at + 4] = 0x61;
      rejects(swapped, /keys not strictly ascending/);
      expect(() => encodeMessage({ ...query, filters: { nodes: Array(65).fill('n'), tags: [] } })).to.throw(
        RangeError,
        /query nodes: 65 exceeds 64/,
      );
      expect(() => encodeMessage({ ...query, timeoutMs: 3_600_001 })).to.throw(RangeError, /timeoutMs/);
      const tooLong = bytesOf((w) => w.varint(3_600_001));
      rejects(
        Uint8Array.of(...ok.subarray(0, flagsAt - 2), ...tooLong, ...ok.subarray(flagsAt)),
        /timeoutMs.*exceeds 3600000/,
      );
    });

    it('payloads over 64 KiB', () => {
      rejects(
        bytesOf((w) => {
          w.u8(MESSAGE_TYPE_CODES['user-event']);
          w.string('o', 128);
          w.varint(1);
          w.u8(0);
          w.varint(1);
          w.varint(1);
          w.string('e', 128);
          w.bytes(new Uint8Array(65_537), 100_000);
        }),
        /payload length: 65537 exceeds 65536/,
      );
    });
  });
});
