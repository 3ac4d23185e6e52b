import { expect } from 'chai';
import {
  hashKvEntry,
  hashMemberRecord,
  kvKey,
  memberKey,
  parseTreeKey,
} from '../../src/agent/state/entry-hash.js';
import { hashEquals } from '../../src/agent/state/hash64.js';
import type { KvEntry, MemberRecord } from '../../src/agent/wire/messages.js';

const rec: MemberRecord = {
  name: 'node-1',
  addr: '10.0.0.1:7946',
  generation: 1_700_000_000_123,
  incarnation: 3,
  state: 'alive',
  tags: { zone: 'a', role: 'db' },
};
const kv: KvEntry = {
  key: 'k',
  value: new Uint8Array([1, 2]),
  clock: 5,
  writer: 'node-1',
  at: 1_700_000_000_000,
};

describe('entry-hash', () => {
  it('canonical keys round-trip and keep members and kv apart', () => {
    expect(memberKey('x')).to.equal('m:x');
    expect(kvKey('x')).to.equal('k:x');
    expect(parseTreeKey(memberKey('a:b'))).to.deep.equal({ kind: 'member', name: 'a:b' });
    expect(parseTreeKey(kvKey(''))).to.deep.equal({ kind: 'kv', key: '' });
    expect(parseTreeKey('x:1')).to.equal(undefined);
  });

  it('equal member records hash equal, whatever the tag insertion order', () => {
    const copy: MemberRecord = { ...rec, tags: { role: 'db', zone: 'a' } };
    expect(hashMemberRecord(copy)).to.deep.equal(hashMemberRecord(rec));
  });

  it('every member field changes the hash', () => {
    const variants: MemberRecord[] = [
      { ...rec, name: 'node-2' },
      { ...rec, addr: '10.0.0.2:7946' },
      { ...rec, generation: rec.generation + 1 },
      { ...rec, generation: rec.generation + 2 ** 33 },
      { ...rec, incarnation: 4 },
      { ...rec, state: 'suspect' },
      { ...rec, tags: { zone: 'b', role: 'db' } },
      { ...rec, tags: { zone: 'a' } },
      { ...rec, tags: { zone: 'a', role: 'db', x: '' } },
      { ...rec, tags: { zonea: '', role: 'db' } },
    ];
    const hashes = [rec, ...variants].map(hashMemberRecord);
    for (let i = 0; i < hashes.length; i++)
      for (let j = i + 1; j < hashes.length; j++)
        expect(hashEquals(hashes[i]!, hashes[j]!), `${i} vs ${j}`).to.equal(false);
  });

  it('every kv field changes the hash, and a tombstone differs from an empty value', () => {
    const variants: KvEntry[] = [
      { ...kv, key: 'k2' },
      { ...kv, value: new Uint8Array([1, 3]) },
      { ...kv, value: new Uint8Array([]) },
      { ...kv, value: null },
      { ...kv, clock: 6 },
      { ...kv, writer: 'node-2' },
      { ...kv, at: kv.at + 1 },
    ];
    const hashes = [kv, ...variants].map(hashKvEntry);
    for (let i = 0; i < hashes.length; i++)
      for (let j = i + 1; j < hashes.length; j++)
        expect(hashEquals(hashes[i]!, hashes[j]!), `${i} vs ${j}`).to.equal(false);
    expect(hashKvEntry({ ...kv, value: new Uint8Array([1, 2]) })).to.deep.equal(hashKvEntry(kv));
  });
});
