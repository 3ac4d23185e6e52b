// Decoder fuzz run: feeds generated packets (valid, mutated, truncated, random) to decodePacket and
// prints, as JSON, the count per outcome, throws, re-encode mismatches and decode throughput.
// Usage: node --import tsx scripts/fuzz-decoder.ts [--count N] [--seed S]
import { performance } from 'node:perf_hooks';
import { encodeMessage } from '../src/agent/wire/message-codec.js';
import { type DecodePacketResult, decodePacket, encodePacket } from '../src/agent/wire/packet-codec.js';
import { FUZZ_CLUSTER, type FuzzCase, FuzzCorpus } from '../test/wire/fuzz-corpus.js';
import { intOption } from './int-option.js';

const count = intOption('count', 1_000_000);
const seed = intOption('seed', 1);
const BATCH = 10_000;
const opts = { cluster: FUZZ_CLUSTER, keyring: null, maxBytes: 65_000 };

const corpus = new FuzzCorpus(seed);
// Every outcome decodePacket can give, listed even when zero ('replay' is the core's, not the decoder's).
const outcomes: Record<string, number> = {
  ok: 0,
  malformed: 0,
  'foreign-cluster': 0,
  'bad-key': 0,
  oversize: 0,
  'unsupported-version': 0,
};
const kinds: Record<string, number> = {};
let throws = 0;
let firstThrow: string | null = null;
let reencodeMismatches = 0;
let decodeMs = 0;
let bytes = 0;

const batch: FuzzCase[] = new Array(BATCH);
const results: Array<DecodePacketResult | null> = new Array(BATCH);
for (let done = 0; done < count; ) {
  const n = Math.min(BATCH, count - done);
  for (let i = 0; i < n; i++) batch[i] = corpus.next();
  // Time only the decoding, not the generation or the checks.
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    try {
      results[i] = decodePacket(batch[i]!.bytes, opts);
    } catch (e) {
      results[i] = null;
      throws++;
      firstThrow ??= e instanceof Error ? (e.stack ?? e.message) : String(e);
    }
  }
  decodeMs += performance.now() - t0;
  for (let i = 0; i < n; i++) {
    const c = batch[i]!;
    const r = results[i]!;
    bytes += c.bytes.length;
    kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
    if (r === null) continue;
    const outcome = r.ok ? 'ok' : r.reason;
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (r.ok) {
      const again = encodePacket(FUZZ_CLUSTER, r.packet.sender, r.packet.messages.map(encodeMessage), null);
      if (Buffer.compare(again, c.bytes) !== 0) reencodeMismatches++;
    }
  }
  done += n;
}

console.log(
  JSON.stringify(
    {
      count,
      seed,
      outcomes,
      throws,
      firstThrow,
      reencodeMismatches,
      inputsByKind: kinds,
      meanPacketBytes: Math.round(bytes / Math.max(1, count)),
      decodeSeconds: Number((decodeMs / 1000).toFixed(3)),
      packetsPerSecond: Math.round(count / (decodeMs / 1000)),
    },
    null,
    2,
  ),
);
if (throws > 0 || reencodeMismatches > 0) process.exitCode = 1;
