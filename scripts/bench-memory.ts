// Memory of real agents from the built output in a converged N-node cluster on 127.0.0.1, and the
// rumor-spread latencies measured along the way (the data behind the histogram buckets).
// Usage: USAGE below (also printed by --help).
// Every agent runs `node <V8 flags of the bin> dist/cmd/grapevine.js agent …`, exactly as the
// bin's shebang does. RSS is VmRSS from /proc after the cluster has converged and settled.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AgentFleet } from '../src/demo/agent-fleet.js';
import { residentBytes } from '../src/demo/process-memory.js';
import { SseParser } from '../src/demo/sse-reader.js';
import { scriptArgs } from './script-args.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = `${ROOT}dist/cmd/grapevine.js`;
const USAGE = 'npm run build && node --import tsx scripts/bench-memory.ts [--nodes 50] [--write]';
const { values } = scriptArgs(USAGE, {
  options: { nodes: { type: 'string', default: '50' }, write: { type: 'boolean', default: false } },
});
const nodes = Number(values.nodes);

/** The V8 flags of the bin's shebang line (`#!/usr/bin/env -S node FLAGS`). */
function binFlags(): string[] {
  const first = readFileSync(ENTRY, 'utf8').split('\n', 1)[0] ?? '';
  return first
    .replace(/^#!\/usr\/bin\/env (-S )?node ?/, '')
    .split(' ')
    .filter(Boolean);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (b: number) => b / 1_048_576;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

const flags = binFlags();
const fleet = new AgentFleet({
  nodes,
  command: { file: process.execPath, args: [...flags, ENTRY] },
  startTimeoutMs: 400_000,
  // Every agent connects from 127.0.0.1 here, where a real cluster has one address per node: the
  // per-source limit on inbound gossip connections (default 32) refused a third of the joins at N = 50.
  extraAgentArgs: ['--max-inbound-connections-per-source', String(Math.max(32, 2 * nodes))],
});
const t0 = Date.now();
try {
  await fleet.start();
  const urls = fleet.agents().map((a) => a.httpUrl!);
  // Converged: every agent sees all N alive and all hold the same view digest.
  for (;;) {
    const selves = await Promise.all(
      urls.map(async (u) => {
        // A CPU-starved machine can make this poller reuse a keep-alive connection the agent has just
        // closed (ECONNRESET): that round does not count, the next one asks again.
        const res = await fetch(`${u}/v1/info`).catch((err: unknown) => {
          console.error(
            `${u}/v1/info: ${err instanceof Error ? String(err.cause ?? err.message) : String(err)}`,
          );
          return null;
        });
        if (res === null) return { members: { alive: 0 }, viewDigest: '' };
        const body = (await res.json()) as { members?: { alive: number }; viewDigest?: string };
        // Not an answer to count (an agent restarting, or gone): say so and count it as not converged.
        if (!res.ok || body.members === undefined)
          console.error(`${u}/v1/info: HTTP ${res.status} ${JSON.stringify(body)}`);
        return { members: body.members ?? { alive: 0 }, viewDigest: body.viewDigest ?? '' };
      }),
    );
    const digests = new Set(selves.map((s) => s.viewDigest)).size;
    const fewestAlive = Math.min(...selves.map((s) => s.members.alive));
    if (fewestAlive === nodes && digests === 1) break;
    if (Date.now() - t0 > 600_000)
      throw new Error(
        `no convergence within 600 s (fewest alive seen by one agent ${fewestAlive}, ${digests} views)`,
      );
    if ((Date.now() - t0) % 20_000 < 600)
      console.error(
        `${((Date.now() - t0) / 1000).toFixed(0)} s: fewest alive ${fewestAlive}/${nodes}, ${digests} views`,
      );
    await sleep(500);
  }
  const convergedS = (Date.now() - t0) / 1000;

  // Spread latency: fire events and read when each of 10 agents learned them (same clock: one host).
  const spread: number[] = [];
  const ctrl = new AbortController();
  const watched = urls.slice(-10);
  for (const u of watched) {
    void (async () => {
      try {
        const res = await fetch(`${u}/v1/events`, { signal: ctrl.signal });
        const p = new SseParser();
        const d = new TextDecoder();
        for await (const chunk of res.body!) {
          for (const m of p.push(d.decode(chunk, { stream: true }))) {
            if (m.event !== 'user-event') continue;
            const e = JSON.parse(m.data) as { at: number; originTime: number; via: string };
            if (e.via !== 'local') spread.push(e.at - e.originTime);
          }
        }
      } catch {
        // aborted at the end
      }
    })();
  }
  await sleep(1_000);
  for (let i = 0; i < 20; i++) {
    await fetch(`${urls[i % Math.min(5, urls.length)]!}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: `bench-${i}` }),
    });
    await sleep(250);
  }
  await sleep(10_000); // settle: let start-up garbage be collected and the events finish spreading
  ctrl.abort();

  const rss = fleet.agents().map((a) => mb(residentBytes(a.pid!) ?? 0));
  const info = (await (await fetch(`${urls[0]}/v1/info`)).json()) as { runtime: { heapUsedBytes: number } };
  const result = {
    nodes,
    flags: flags.join(' '),
    convergedS,
    rssMedianMB: pct(rss, 0.5),
    rssMaxMB: Math.max(...rss),
    heapUsedMB: mb(info.runtime.heapUsedBytes),
    spreadMs: { n: spread.length, p50: pct(spread, 0.5), p90: pct(spread, 0.9), max: Math.max(...spread) },
  };
  console.log(JSON.stringify(result));
  if (values.write) {
    const doc = `${ROOT}docs/benchmarks.md`;
    const text = readFileSync(doc, 'utf8');
    const row = `| ${new Date().toISOString().slice(0, 10)} | ${nodes} | \`${result.flags || '(none)'}\` | ${result.rssMedianMB.toFixed(1)} MB | ${result.rssMaxMB.toFixed(1)} MB | ${result.heapUsedMB.toFixed(1)} MB | ${result.convergedS.toFixed(1)} s | ${result.spreadMs.p50} / ${result.spreadMs.p90} / ${result.spreadMs.max} ms (n=${result.spreadMs.n}) | \`node --import tsx scripts/bench-memory.ts --nodes ${nodes} --write\` |`;
    const marker = '<!-- bench-memory rows -->';
    if (!text.includes(marker)) throw new Error(`${doc} has no '${marker}' line`);
    writeFileSync(doc, text.replace(marker, `${row}\n${marker}`));
    console.log(`wrote a row to ${doc}`);
  }
} finally {
  await fleet.stopAll();
}
