import { expect } from 'chai';
import { encodeMessage, MESSAGE_TYPE_CODES } from '../../src/agent/wire/message-codec.js';
import { decodePacket, encodePacket } from '../../src/agent/wire/packet-codec.js';
import { FUZZ_CLUSTER, FuzzCorpus, type FuzzKind } from './fuzz-corpus.js';

describe('wire/decoder fuzz', () => {
  it('20,000 generated packets: never throws, every accepted packet re-encodes identically', () => {
    const corpus = new FuzzCorpus(20_260_101);
    const accepted: Partial<Record<FuzzKind, number>> = {};
    const seen: Partial<Record<FuzzKind, number>> = {};
    const types = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const c = corpus.next();
      seen[c.kind] = (seen[c.kind] ?? 0) + 1;
      const r = decodePacket(c.bytes, { cluster: FUZZ_CLUSTER, keyring: null, maxBytes: 65_000 });
      if (!r.ok) {
        if (c.kind === 'valid') expect.fail(`valid packet dropped as ${r.reason}`);
        continue;
      }
      accepted[c.kind] = (accepted[c.kind] ?? 0) + 1;
      for (const m of r.packet.messages) types.add(m.t);
      const again = encodePacket(FUZZ_CLUSTER, r.packet.sender, r.packet.messages.map(encodeMessage), null);
      expect(again, `case ${i} (${c.kind})`).to.deep.equal(c.bytes);
    }
    // The corpus must reach every kind, and some mutations must survive decoding, or the re-encode
    // check above tests nothing beyond the valid packets.
    expect(Object.keys(seen)).to.have.members([
      'valid',
      'mutated',
      'truncated',
      'random',
      'random-after-header',
    ]);
    expect(accepted.mutated ?? 0).to.be.greaterThan(50);
    // Every message type is in the corpus (the query messages included), so each decoder path is fuzzed.
    expect([...types].sort()).to.deep.equal(Object.keys(MESSAGE_TYPE_CODES).sort());
  });
});
