// fast-check arbitraries for every wire shape, within the codec's limits. Strings use full Unicode
// (astral code points included) with char counts chosen so the UTF-8 byte limits always hold.
import fc from 'fast-check';
import type {
  AntiEntropyMode,
  Hash64,
  KeyDigest,
  KvEntry,
  MemberRecord,
  MemberState,
  Message,
  PacketSender,
  QueryFilters,
  RumorMeta,
  TreeNodeDigest,
} from '../../src/agent/wire/messages.js';

/** Up to maxBytes of UTF-8 (4 bytes per code point at worst). */
export const str = (maxBytes: number, minLength = 0): fc.Arbitrary<string> =>
  fc.string({ unit: 'binary', minLength, maxLength: Math.floor(maxBytes / 4) });

export const name = (): fc.Arbitrary<string> => str(128, 1);
export const addr = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.tuple(fc.ipV4(), fc.nat(65535)).map(([h, p]) => `${h}:${p}`),
    fc.tuple(fc.ipV6(), fc.nat(65535)).map(([h, p]) => `[${h}]:${p}`),
    str(80),
  );

/** Small values most of the time, the whole safe range sometimes (varint edges). */
export const uint = (): fc.Arbitrary<number> =>
  fc.oneof(
    fc.nat(300),
    fc.nat(),
    fc.maxSafeNat(),
    fc.constantFrom(127, 128, 16_383, 16_384, 2 ** 32, 2 ** 53 - 1),
  );
export const timestamp = (): fc.Arbitrary<number> =>
  fc.oneof(fc.integer({ min: 1_500_000_000_000, max: 2_500_000_000_000 }), fc.maxSafeNat());

export const u32 = (): fc.Arbitrary<number> =>
  fc.tuple(fc.nat(0xffff), fc.nat(0xffff)).map(([a, b]) => a * 0x10000 + b);
export const hash64 = (): fc.Arbitrary<Hash64> => fc.tuple(u32(), u32());

export const rumor = (): fc.Arbitrary<RumorMeta> =>
  fc.record({ origin: name(), originTime: timestamp(), hops: fc.nat(255) });

export const memberState = (): fc.Arbitrary<MemberState> =>
  fc.constantFrom('alive', 'suspect', 'dead', 'left');

export const tags = (): fc.Arbitrary<Record<string, string>> =>
  fc.uniqueArray(fc.tuple(str(128), str(512)), { maxLength: 64, selector: ([k]) => k }).map((pairs) => {
    const out: Record<string, string> = {};
    for (const [k, v] of pairs)
      Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    return out;
  });

export const member = (): fc.Arbitrary<MemberRecord> =>
  fc.record({
    name: name(),
    addr: addr(),
    generation: timestamp(),
    incarnation: uint(),
    state: memberState(),
    tags: fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: tags() }),
  });

export const payload = (max = 2048): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: max });

export const kvEntry = (): fc.Arbitrary<KvEntry> =>
  fc.record({
    key: str(256),
    value: fc.option(payload(), { nil: null }),
    clock: uint(),
    writer: name(),
    at: timestamp(),
  });

export const treeNode = (): fc.Arbitrary<TreeNodeDigest> =>
  fc.record({ level: fc.nat(8), index: uint(), hash: hash64(), count: uint() });
export const keyDigest = (): fc.Arbitrary<KeyDigest> => fc.record({ keyHash: hash64(), entryHash: hash64() });
export const aeMode = (): fc.Arbitrary<AntiEntropyMode> => fc.constantFrom('push', 'pull', 'push-pull');

/** Node names and tag filters (keys unique and sorted, as the codec writes them). */
export const queryFilters = (): fc.Arbitrary<QueryFilters> =>
  fc.record({
    nodes: fc.array(name(), { maxLength: 64 }),
    tags: fc
      .uniqueArray(fc.record({ key: str(128), pattern: str(256) }), { maxLength: 16, selector: (t) => t.key })
      .map((tags) => tags.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))),
  });

/** One arbitrary per message type, so tests can run each shape separately. */
export const messageArbs = {
  ping: fc.record({ t: fc.constant('ping' as const), seq: uint(), target: name() }),
  'ping-req': fc.record({
    t: fc.constant('ping-req' as const),
    seq: uint(),
    target: name(),
    targetAddr: addr(),
  }),
  ack: fc.record({ t: fc.constant('ack' as const), seq: uint() }),
  nack: fc.record({ t: fc.constant('nack' as const), seq: uint() }),
  member: fc.record({ t: fc.constant('member' as const), rumor: rumor(), member: member(), from: name() }),
  'user-event': fc.record({
    t: fc.constant('user-event' as const),
    rumor: rumor(),
    generation: timestamp(),
    seq: uint(),
    name: str(128),
    payload: payload(),
  }),
  kv: fc.record({ t: fc.constant('kv' as const), rumor: rumor(), entry: kvEntry() }),
  mail: fc.record({ t: fc.constant('mail' as const), id: uint() }),
  'mail-ack': fc.record({ t: fc.constant('mail-ack' as const), id: uint() }),
  'ae-start': fc.record({
    t: fc.constant('ae-start' as const),
    session: uint(),
    mode: aeMode(),
    root: hash64(),
    count: uint(),
  }),
  'ae-equal': fc.record({ t: fc.constant('ae-equal' as const), session: uint() }),
  'ae-tree': fc.record({
    t: fc.constant('ae-tree' as const),
    session: uint(),
    nodes: fc.array(treeNode(), { maxLength: 40 }),
  }),
  'ae-keys': fc.record({
    t: fc.constant('ae-keys' as const),
    session: uint(),
    subtrees: fc.array(fc.record({ level: fc.nat(8), index: uint() }), { maxLength: 20 }),
    keys: fc.array(keyDigest(), { maxLength: 40 }),
  }),
  'ae-entries': fc.record({
    t: fc.constant('ae-entries' as const),
    session: uint(),
    members: fc.array(member(), { maxLength: 5 }),
    kv: fc.array(kvEntry(), { maxLength: 5 }),
    want: fc.array(hash64(), { maxLength: 20 }),
  }),
  query: fc.record({
    t: fc.constant('query' as const),
    rumor: rumor(),
    generation: timestamp(),
    seq: uint(),
    originAddr: addr(),
    timeoutMs: fc.oneof(fc.nat(60_000), fc.constant(3_600_000)),
    ack: fc.boolean(),
    filters: queryFilters(),
    name: str(128, 1),
    payload: payload(),
  }),
  'query-response': fc.record({
    t: fc.constant('query-response' as const),
    generation: timestamp(),
    seq: uint(),
    ack: fc.boolean(),
    payload: payload(),
  }),
  'ae-part': fc.record({
    t: fc.constant('ae-part' as const),
    session: uint(),
    members: fc.array(member(), { maxLength: 5 }),
    kv: fc.array(kvEntry(), { maxLength: 5 }),
  }),
} satisfies { [K in Message['t']]: fc.Arbitrary<Extract<Message, { t: K }>> };

export const message = (): fc.Arbitrary<Message> => fc.oneof(...Object.values(messageArbs));

export const sender = (): fc.Arbitrary<PacketSender> =>
  fc.record({ name: name(), generation: timestamp(), addr: addr(), seq: uint() });

export const cluster = (): fc.Arbitrary<string> => str(64, 1);
