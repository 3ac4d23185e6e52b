// Issue 8: a state larger than one frame crosses anti-entropy in bounded chunks (ae-part packets),
// through the real codec, and exchanges between close states stay O(difference).
import { expect } from 'chai';
import { AntiEntropy } from '../../src/agent/state/anti-entropy-session.js';
import { chunkRecords, DEFAULT_CHUNK_BYTES, kvBytes } from '../../src/agent/state/record-chunks.js';
import { encodeMessage } from '../../src/agent/wire/message-codec.js';
import type { KvEntry } from '../../src/agent/wire/messages.js';
import { bytes, exchange, member, Replica } from './replica.js';

const KEYS = 100_000;
const MEMBERS = 10_000;
/** A part holds at most the budget, or one record bigger than it; plus the packet's own bytes. */
const PACKET_BOUND = DEFAULT_CHUNK_BYTES + 1_024;

function bigState(): Replica {
  const r = new Replica();
  const value = bytes('v'.repeat(200));
  for (let i = 0; i < KEYS; i++) r.kv.put(`key-${i}`, value, 'seed', 1_000);
  for (let i = 0; i < MEMBERS; i++) r.setMember(member(`node-${i}`));
  return r;
}

describe('AntiEntropy: states larger than a frame', function () {
  this.timeout(120_000);
  let seed: Replica;
  before(() => {
    seed = bigState();
  });

  it(`an empty joiner gets ${KEYS} keys and ${MEMBERS} members in packets of bounded size`, () => {
    const joiner = new Replica();
    const log = exchange(joiner, seed, 'push-pull');
    expect(joiner.kv.size).to.equal(KEYS);
    expect(joiner.members.size).to.equal(MEMBERS);
    expect(joiner.tree.root()).to.deep.equal(seed.tree.root());
    expect(log.openSessions).to.equal(0);
    expect(log.appliedByInitiator).to.equal(KEYS + MEMBERS);
    const parts = log.messages.filter((m) => m.message.t === 'ae-part').length;
    // ~25 MB of records in one ae-entries would be over the 16 MiB frame limit.
    expect(log.bytes).to.be.above(16 * 1024 * 1024);
    expect(parts).to.be.above(500);
    expect(log.largestPacket).to.be.at.most(PACKET_BOUND);
    console.log(
      `      empty joiner: ${log.bytes} bytes in ${log.messages.length} packets, ${parts} parts, largest ${log.largestPacket} B`,
    );
  });

  it('a joiner holding one key descends the tree, then gets the rest in bounded parts', () => {
    const joiner = new Replica();
    joiner.kv.put('mine', bytes('x'), 'joiner', 2_000);
    const log = exchange(joiner, seed, 'push-pull');
    expect(joiner.kv.size).to.equal(KEYS + 1);
    expect(joiner.members.size).to.equal(MEMBERS);
    expect(seed.kv.get('mine')?.writer).to.equal('joiner');
    expect(joiner.tree.root()).to.deep.equal(seed.tree.root());
    expect(log.openSessions).to.equal(0);
    expect(log.largestPacket).to.be.at.most(PACKET_BOUND);
    seed.kv.delete('mine', 'joiner', 3_000); // leave the shared seed with only its own writes
  });

  it('close states stay O(difference): one changed key of 110,000 records in under 4 KB', () => {
    const other = new Replica();
    exchange(other, seed, 'pull');
    const newer = seed.kv.put('key-4321', bytes('changed'), 'seed', 5_000);
    const log = exchange(other, seed, 'push-pull');
    expect(other.kv.get('key-4321')).to.deep.equal(newer);
    expect(other.tree.root()).to.deep.equal(seed.tree.root());
    expect(log.messages.some((m) => m.message.t === 'ae-part')).to.equal(false);
    expect(log.bytes).to.be.below(4_096);
  });

  it('a part keeps the session open and silent; parts of unknown sessions are ignored', () => {
    const r = new Replica();
    const ae = new AntiEntropy(r, { timeoutMs: 1_000 });
    const entry: KvEntry = { key: 'k', value: bytes('v'), clock: 1, writer: 'w', at: 1 };
    expect(ae.handle('p', [{ t: 'ae-part', session: 9, members: [], kv: [entry] }], 0)).to.deep.equal([]);
    expect(r.kv.size).to.equal(0);
    const start = ae.start('p', 1, 'pull', 0);
    const o = ae.handle(
      'p',
      [{ t: 'ae-part', session: (start as { session: number }).session, members: [], kv: [entry] }],
      500,
    );
    expect(o).to.have.length(1);
    expect(o[0]!.done).to.equal(false);
    expect(o[0]!.messages).to.deep.equal([]);
    expect(o[0]!.applied).to.equal(1);
    // The part re-armed the idle timeout: still open at 1,400 ms, then aborted on a failed send.
    expect(ae.expire(1_400)).to.equal(0);
    expect(ae.abort('p')).to.deep.equal([{ role: 'initiator', mode: 'pull' }]);
    expect(ae.activeSessions).to.equal(0);
  });

  it('chunkRecords: bounded chunks in order; a record over the budget travels alone', () => {
    const entries: KvEntry[] = Array.from({ length: 50 }, (_, i) => ({
      key: `k${i}`,
      value: bytes(i === 10 ? 'x'.repeat(5_000) : 'small'),
      clock: 1,
      writer: 'w',
      at: 1,
    }));
    const chunks = chunkRecords([], entries, 1_000);
    expect(chunks.flatMap((c) => c.kv)).to.deep.equal(entries);
    for (const c of chunks) {
      const est = c.kv.reduce((n, e) => n + kvBytes(e), 0);
      if (c.kv.length > 1) expect(est).to.be.at.most(1_000);
      // The estimate is an upper bound of the real encoding.
      for (const e of c.kv)
        expect(kvBytes(e)).to.be.at.least(
          encodeMessage({ t: 'ae-part', session: 0, members: [], kv: [e] }).length - 4,
        );
    }
    expect(chunks.find((c) => c.kv.some((e) => e.key === 'k10'))!.kv).to.have.length(1);
    expect(chunkRecords([], [], 1_000)).to.deep.equal([{ members: [], kv: [] }]);
  });
});
