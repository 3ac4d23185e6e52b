// ReplicatedData on its own, through ReplicatedDataHost: local writes, merges from peers, user-event
// dedupe, payload checks and tombstone expiry, with the digest tree kept in step.
import { expect } from 'chai';
import { resolveEngineConfig } from '../../src/agent/config/engine-schema.js';
import { ReplicatedData, type ReplicatedDataHost } from '../../src/agent/core/replicated-data.js';
import { DigestTree } from '../../src/agent/state/digest-tree.js';
import { hashKvEntry, kvKey } from '../../src/agent/state/entry-hash.js';
import { KvStore } from '../../src/agent/state/kv-store.js';
import type { KvEntry, Message } from '../../src/agent/wire/messages.js';
import { recorder, T0 } from './fakes.js';

const enc = (s: string) => new TextEncoder().encode(s);

function fixture(over: Record<string, unknown> = {}) {
  const config = resolveEngineConfig({ maxPayloadBytes: 64, tombstoneTtlMs: 10_000, ...over });
  const rec = recorder();
  const tree = new DigestTree();
  const host: ReplicatedDataHost = {
    name: 'n0',
    tree,
    config: () => config,
    generation: () => 42,
    event: (e) => rec.events.push(e),
    rumor: (m) => rec.rumors.push(m),
    announce: (m) => rec.announced.push(m),
    badRecord: () => rec.badRecords++,
  };
  const data = new ReplicatedData(host, new KvStore({ tombstoneTtlMs: config.tombstoneTtlMs }));
  return { data, tree, rec };
}

const peerEntry = (over: Partial<KvEntry> = {}): KvEntry => ({
  key: 'k',
  value: enc('peer'),
  clock: 5,
  writer: 'n1',
  at: T0,
  ...over,
});

describe('ReplicatedData (unit, fake host)', () => {
  it('a local put is stored, hashed into the tree and announced (rumor + mail)', () => {
    const { data, tree, rec } = fixture();
    const e = data.put('k', enc('v'), T0 + 0.5);
    expect(e).to.deep.include({ key: 'k', writer: 'n0', clock: 1, at: T0 });
    expect(tree.entryHash(kvKey('k'))).to.deep.equal(hashKvEntry(e));
    expect(rec.announced).to.have.length(1);
    expect(rec.announced[0]).to.deep.include({ t: 'kv', entry: e });
    expect(rec.events[0]).to.deep.include({ type: 'kv', key: 'k', via: 'local', writer: 'n0' });
  });

  it('refuses a payload over maxPayloadBytes and changes nothing', () => {
    const { data, tree, rec } = fixture();
    expect(() => data.put('k', new Uint8Array(65), T0)).to.throw(RangeError, /maxPayloadBytes/);
    expect(() => data.fireEvent('e', new Uint8Array(65), T0)).to.throw(RangeError, /maxPayloadBytes/);
    expect(data.get('k')).to.equal(undefined);
    expect(tree.size).to.equal(0);
    expect(rec.announced).to.deep.equal([]);
  });

  it('merges a newer peer entry (and passes it on when spread), ignores a stale one', () => {
    const { data, tree, rec } = fixture();
    const meta = { origin: 'n1', originTime: T0, hops: 3 };
    expect(data.apply(peerEntry(), meta, 'rumor', T0, true)).to.equal(true);
    expect(tree.entryHash(kvKey('k'))).to.deep.equal(hashKvEntry(peerEntry()));
    expect(rec.rumors).to.deep.equal([{ t: 'kv', rumor: meta, entry: peerEntry() }]);
    expect(data.apply(peerEntry({ clock: 4, value: enc('old') }), meta, 'rumor', T0, true)).to.equal(false);
    expect(data.get('k')?.value).to.deep.equal(enc('peer'));
    expect(rec.rumors).to.have.length(1);
    // From anti-entropy: merged, not rumored.
    expect(data.apply(peerEntry({ key: 'ae', clock: 9 }), null, 'anti-entropy', T0, false)).to.equal(true);
    expect(rec.rumors).to.have.length(1);
  });

  it('drops a peer entry outside sane bounds as a bad record', () => {
    const { data, rec } = fixture();
    expect(data.apply(peerEntry({ writer: 'bad\u0000name' }), null, 'rumor', T0, true)).to.equal(false);
    expect(rec.badRecords).to.equal(1);
    expect(data.get('k')).to.equal(undefined);
  });

  it('delivers a user event once per (origin, generation, seq), rumoring it on with one more hop', () => {
    const { data, rec } = fixture();
    const m: Extract<Message, { t: 'user-event' }> = {
      t: 'user-event',
      rumor: { origin: 'n1', originTime: T0, hops: 1 },
      generation: 7,
      seq: 3,
      name: 'deploy',
      payload: enc('x'),
    };
    data.onUserEvent(m, 'rumor', T0);
    data.onUserEvent(m, 'mail', T0 + 1);
    data.onUserEvent({ ...m, generation: 8 }, 'rumor', T0 + 2);
    expect(rec.events.filter((e) => e.type === 'user-event')).to.have.length(2);
    expect(rec.rumors).to.have.length(2);
    expect((rec.rumors[0] as typeof m).rumor.hops).to.equal(2);
  });

  it('a local event is delivered locally at once and not again when it comes back', () => {
    const { data, rec } = fixture();
    data.fireEvent('deploy', enc('x'), T0);
    const sent = rec.announced[0] as Extract<Message, { t: 'user-event' }>;
    expect(sent).to.deep.include({ t: 'user-event', generation: 42, seq: 1, name: 'deploy' });
    data.onUserEvent(sent, 'rumor', T0 + 1);
    expect(rec.events.filter((e) => e.type === 'user-event')).to.have.length(1);
  });

  it('expiring a tombstone removes its key from the digest tree', () => {
    const { data, tree } = fixture();
    data.put('k', enc('v'), T0);
    data.delete('k', T0 + 1);
    expect(tree.has(kvKey('k'))).to.equal(true);
    data.expire(T0 + 10_001);
    expect(tree.has(kvKey('k')), 'kept until the TTL has passed').to.equal(true);
    data.expire(T0 + 10_002);
    expect(tree.has(kvKey('k'))).to.equal(false);
    expect(data.get('k')).to.equal(undefined);
  });

  it('list() returns live entries under a prefix in key order, without tombstones', () => {
    const { data } = fixture();
    for (const k of ['b/2', 'a/1', 'b/1', 'b/3']) data.put(k, enc(k), T0);
    data.delete('b/3', T0);
    expect(data.list('b/').map((e) => e.key)).to.deep.equal(['b/1', 'b/2']);
  });
});
