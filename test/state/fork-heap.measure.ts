// Heap cost of structural sharing, as the simulator uses it: one 10,000-key digest tree, 10,000 forks,
// each changing 5 keys. Run: node --expose-gc --import tsx test/state/fork-heap.measure.ts
import { ForkableDigestTree } from '../../src/agent/sim/cow-digest-tree.js';
import { hashMemberRecord, memberKey } from '../../src/agent/state/entry-hash.js';
import type { MemberRecord } from '../../src/agent/wire/messages.js';

const KEYS = Number(process.argv[2] ?? 10_000);
const FORKS = Number(process.argv[3] ?? 10_000);
const CHANGES = 5;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const mb = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MB`;

const record = (i: number, incarnation: number): MemberRecord => ({
  name: `node-${i}`,
  addr: `10.0.${i >> 8}.${i & 255}:7946`,
  generation: 1_700_000_000_000 + i,
  incarnation,
  state: 'alive',
  tags: { zone: `z${i % 3}` },
});

const h0 = heap();
const base = new ForkableDigestTree();
for (let i = 0; i < KEYS; i++) base.set(memberKey(`node-${i}`), hashMemberRecord(record(i, 0)));
const h1 = heap();

const t0 = performance.now();
const forks: ForkableDigestTree[] = [];
for (let f = 0; f < FORKS; f++) {
  const t = base.fork();
  for (let c = 0; c < CHANGES; c++) {
    const i = (f * 7 + c * 1_999) % KEYS;
    t.set(memberKey(`node-${i}`), hashMemberRecord(record(i, f + 1)));
  }
  forks.push(t);
}
const ms = performance.now() - t0;
const h2 = heap();

// Keep everything alive until after the measurement.
const roots = new Set(forks.map((t) => `${t.root().hash}`));
console.log(`base tree, ${KEYS} keys: ${mb(h1 - h0)}`);
console.log(
  `${FORKS} forks × ${CHANGES} changes: ${mb(h2 - h1)} (${((h2 - h1) / FORKS / 1024).toFixed(2)} KB/fork), built in ${ms.toFixed(0)} ms`,
);
console.log(`total heap used: ${mb(h2)}; distinct roots: ${roots.size}; base size ${base.size}`);
// Last line, machine-readable for the test that runs this script.
console.log(
  JSON.stringify({ baseBytes: h1 - h0, forkBytes: h2 - h1, totalBytes: h2, distinctRoots: roots.size }),
);
