// Hostile-traffic benchmark (issue 8): a real cluster of agent processes on loopback, plaintext and
// then encrypted, receives mutated and forged datagrams and hostile TCP connections while a new
// node joins. Prints JSON and rewrites the "Hostile traffic" section of docs/benchmarks.md.
// Usage: node --import tsx scripts/bench-hostile.ts [--agents 3] [--datagrams 1000000] [--tcp 1000]
//        [--seed 1] [--modes plaintext,encrypted] [--no-write] [--built]
// Loopback only: attackers bind 127.0.9.x / 127.0.10.x (other sources than the agents' 127.0.0.1).
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MemberView } from '../src/agent/agent-api.js';
import { encodeFrameHeader } from '../src/agent/transport/frame-decoder.js';
import { encodeMessage } from '../src/agent/wire/message-codec.js';
import { encodePacket } from '../src/agent/wire/packet-codec.js';
import { AgentProcess } from '../test/support/agent-process.js';
import { FUZZ_CLUSTER, FuzzCorpus } from '../test/wire/fuzz-corpus.js';
import { intOption } from './int-option.js';

const AGENTS = intOption('agents', 3);
const DATAGRAMS = intOption('datagrams', 1_000_000);
const TCP = intOption('tcp', 1_000);
const SEED = intOption('seed', 1);
const WRITE = !process.argv.includes('--no-write');
// --built: agents from the bundle `npm run build` writes, with the bin's V8 flags (what ships).
if (process.argv.includes('--built')) process.env.GRAPEVINE_AGENT_ENTRY = 'built';
type Mode = 'plaintext' | 'encrypted';
const MODES: Mode[] = (() => {
  const i = process.argv.indexOf('--modes');
  const list = i < 0 ? ['plaintext', 'encrypted'] : String(process.argv[i + 1]).split(',');
  if (list.length === 0 || list.some((m) => m !== 'plaintext' && m !== 'encrypted'))
    throw new Error('--modes takes plaintext, encrypted or plaintext,encrypted');
  return list as Mode[];
})();
// Rewriting the doc's section from one mode would drop the other's row: --modes implies --no-write.
const WRITE_DOC = WRITE && MODES.length === 2;
const FAST = ['--probe-interval-ms', '500', '--probe-timeout-ms', '250', '--gossip-interval-ms', '100'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** JSON with every non-ASCII character escaped, so junk names stay readable in the docs. */
const asciiJson = (s: string) =>
  JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

interface Usage {
  rssMb: number;
  fds: number;
}

function usage(a: AgentProcess): Usage {
  const pid = a.proc.pid!;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(rssKb / 102.4) / 10, fds: readdirSync(`/proc/${pid}/fd`).length };
}

const view = async (a: AgentProcess) =>
  (await a.json<MemberView[]>('/v1/members')).sort((x, y) => (x.name < y.name ? -1 : 1));
const key = (m: MemberView) => `${m.name}|${m.addr}|${m.generation}|${m.state}`;

async function until(what: string, cond: () => Promise<boolean>, ms: number): Promise<number | null> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await cond().catch(() => false)) return Date.now() - t0;
    await sleep(200);
  }
  process.stderr.write(`not within ${ms} ms: ${what}\n`);
  return null;
}

/** V8 heap in use (MB), from the agent's own metrics: what it holds, apart from pages V8 keeps. */
async function heapUsedMb(a: AgentProcess): Promise<number> {
  const text = await (await fetch(`${a.url}/metrics`)).text();
  const m = /^nodejs_heap_size_used_bytes (\S+)/m.exec(text);
  return m ? Math.round(Number(m[1]) / 104_857.6) / 10 : Number.NaN;
}

async function refusals(a: AgentProcess): Promise<Record<string, number>> {
  const text = await (await fetch(`${a.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^grapevine_refused_total\{resource="([^"]+)",reason="([^"]+)"\} (\d+)/.exec(line);
    if (m && Number(m[3]) > 0) out[`${m[1]}/${m[2]}`] = Number(m[3]);
    const d = /^grapevine_packets_dropped_total\{reason="([^"]+)"\} (\d+)/.exec(line);
    if (d && Number(d[2]) > 0) out[`dropped/${d[1]}`] = Number(d[2]);
  }
  return out;
}

/** Mutated, truncated and random packets from the fuzz corpus, plus forged deaths of live members. */
async function udpAttack(
  targets: AgentProcess[],
  live: MemberView[],
  count: number,
): Promise<{ sent: number; forged: number; ms: number }> {
  const corpus = new FuzzCorpus(SEED);
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.9.1', resolve));
  const ports = targets.map((t) => Number(t.gossipAddr.slice(t.gossipAddr.lastIndexOf(':') + 1)));
  let sent = 0;
  let forged = 0;
  const t0 = Date.now();
  while (sent < count) {
    // A bounded batch per turn of the event loop, so the sender does not queue without limit.
    const batch = Math.min(200, count - sent);
    await Promise.all(
      Array.from({ length: batch }, (_, i) => {
        let bytes: Uint8Array;
        if ((sent + i) % 1000 === 0 && live.length > 0) {
          // {name: victim, generation: its own + 1, state: dead}: the forged death of finding 1.
          const victim = live[(sent + i) % live.length]!;
          bytes = encodePacket(
            FUZZ_CLUSTER,
            { name: 'attacker', generation: 1, addr: '127.0.9.1:9', seq: sent + i + 1 },
            [
              encodeMessage({
                t: 'member',
                rumor: { origin: 'attacker', originTime: Date.now(), hops: 0 },
                member: { ...victim, generation: victim.generation + 1, state: 'dead', tags: {} },
                from: 'attacker',
              }),
            ],
            null,
          );
          forged++;
        } else bytes = corpus.next().bytes;
        const port = ports[(sent + i) % ports.length]!;
        return new Promise<void>((resolve) => socket.send(bytes, port, '127.0.0.1', () => resolve()));
      }),
    );
    sent += batch;
  }
  socket.close();
  return { sent, forged, ms: Date.now() - t0 };
}

/** Hostile TCP connections: 16 MiB frame headers, silent ones, and byte-a-second senders. */
function tcpAttack(
  target: AgentProcess,
  count: number,
): { stop(): void; opened: () => number; closedByAgent: () => number } {
  const port = Number(target.gossipAddr.slice(target.gossipAddr.lastIndexOf(':') + 1));
  const sockets: net.Socket[] = [];
  let opened = 0;
  let closedByAgent = 0;
  let stopping = false;
  const timers: NodeJS.Timeout[] = [];
  for (let i = 0; i < count; i++) {
    // Spread over 50 source addresses, 20 connections each.
    const s = net.connect({ host: '127.0.0.1', port, localAddress: `127.0.10.${1 + (i % 50)}` });
    sockets.push(s);
    s.on('error', () => {});
    s.on('close', () => {
      if (!stopping) closedByAgent++;
    });
    s.once('connect', () => {
      opened++;
      if (i % 3 === 0) {
        s.write(encodeFrameHeader(16 * 1024 * 1024));
        s.write(randomBytes(64 * 1024));
      } else if (i % 3 === 1) {
        const t = setInterval(() => {
          if (!s.destroyed) s.write(Buffer.from([0x00]));
        }, 1000);
        timers.push(t);
      }
    });
  }
  return {
    stop: () => {
      stopping = true;
      for (const t of timers) clearInterval(t);
      for (const s of sockets) s.destroy();
    },
    opened: () => opened,
    closedByAgent: () => closedByAgent,
  };
}

interface ModeResult {
  mode: string;
  /** 1-minute load average at the start and at the end of the mode (the machine is shared). */
  load: [number, number];
  agents: number;
  datagramsSent: number;
  forgedDeaths: number;
  udpSeconds: number;
  tcpOpened: number;
  tcpClosedByAgent: number;
  membersAdded: string[];
  membersChanged: string[];
  liveMembersSeenDead: string[];
  rssBeforeMb: number[];
  rssAfterMb: number[];
  /** nodejs_heap_size_used_bytes: live JS heap (plus garbage not yet collected), per agent. */
  heapUsedBeforeMb: number[];
  heapUsedAfterMb: number[];
  fdsBefore: number[];
  fdsDuringMax: number[];
  fdsAfter: number[];
  joinDuringAttackMs: number | null;
  httpAnsweredDuringAttack: boolean;
  refusals: Record<string, number>;
  logLines: number;
  stackTraces: number;
}

async function runMode(mode: Mode): Promise<ModeResult> {
  const loadBefore = loadavg()[0]!;
  const extra: string[] = ['--cluster', FUZZ_CLUSTER];
  if (mode === 'encrypted') {
    const dir = mkdtempSync(join(tmpdir(), 'gv-bench-keyring-'));
    writeFileSync(join(dir, 'keyring'), `${randomBytes(32).toString('base64')}\n`);
    extra.push('--keyring-file', join(dir, 'keyring'));
  }
  const args = (name: string, join?: string) => [
    '--name',
    name,
    '--bind',
    '127.0.0.1:0',
    '--http',
    '127.0.0.1:0',
    ...FAST,
    ...extra,
    ...(join ? ['--join', join] : []),
  ];
  const agents: AgentProcess[] = [];
  try {
    agents.push(await AgentProcess.start(args(`${mode}-0`)));
    for (let i = 1; i < AGENTS; i++)
      agents.push(await AgentProcess.start(args(`${mode}-${i}`, agents[0]!.gossipAddr)));
    const allAlive = async (n: number) => {
      for (const a of agents)
        if ((await view(a)).filter((m) => m.state === 'alive').length !== n) return false;
      return true;
    };
    if ((await until('cluster formed', () => allAlive(AGENTS), 60_000)) === null)
      throw new Error('cluster did not form');
    await sleep(3_000);
    const before = await view(agents[0]!);
    const rssBefore = agents.map((a) => usage(a));
    const heapBefore = await Promise.all(agents.map((a) => heapUsedMb(a)));
    const logsBefore = agents.map((a) => a.logs.length);

    const tcp = tcpAttack(agents[0]!, TCP);
    const fdsMax = agents.map((a) => usage(a).fds);
    const originals = agents.slice();
    const sampler = setInterval(() => {
      originals.forEach((a, i) => {
        fdsMax[i] = Math.max(fdsMax[i]!, usage(a).fds);
      });
    }, 500);
    const udp = udpAttack(agents, before, DATAGRAMS);
    // A new node joins through the attacked agent while both attacks run.
    await sleep(2_000);
    let joinMs: number | null = null;
    let joiner: AgentProcess | null = null;
    const joinT0 = Date.now();
    joiner = await AgentProcess.start(args(`${mode}-joiner`, agents[0]!.gossipAddr));
    agents.push(joiner);
    const joined = await until(
      'joiner seen alive by all',
      async () => {
        for (const a of agents)
          if (!(await view(a)).some((m) => m.name === `${mode}-joiner` && m.state === 'alive')) return false;
        return (await view(joiner!)).filter((m) => m.state === 'alive').length === AGENTS + 1;
      },
      60_000,
    );
    if (joined !== null) joinMs = Date.now() - joinT0;
    const httpOk =
      (await fetch(`${agents[0]!.url}/healthz`)
        .then((r) => r.ok)
        .catch(() => false)) === true;
    const udpResult = await udp;
    // Let the cluster settle: refutations take a few probe periods.
    await sleep(10_000);
    clearInterval(sampler);
    const tcpOpened = tcp.opened();
    const tcpClosed = tcp.closedByAgent();
    tcp.stop();
    await sleep(1_000);
    const after = await view(agents[0]!);
    const original = new Map(before.map((m) => [m.name, m]));
    const expectedNames = new Set([...before.map((m) => m.name), `${mode}-joiner`]);
    const rssAfter = agents.slice(0, AGENTS).map((a) => usage(a));
    const heapAfter = await Promise.all(agents.slice(0, AGENTS).map((a) => heapUsedMb(a)));
    const refused: Record<string, number> = {};
    for (const a of agents.slice(0, AGENTS))
      for (const [k, v] of Object.entries(await refusals(a))) refused[k] = (refused[k] ?? 0) + v;
    const newLogs = agents.slice(0, AGENTS).flatMap((a, i) => a.logs.slice(logsBefore[i]));
    // The first few lines with a stack trace go to stderr: each one is a bug to look at.
    for (const l of newLogs.filter((l) => JSON.stringify(l).includes('"stack"')).slice(0, 3))
      process.stderr.write(`${mode}: ${JSON.stringify(l).slice(0, 1500)}\n`);
    return {
      mode,
      load: [Math.round(loadBefore * 100) / 100, Math.round(loadavg()[0]! * 100) / 100],
      agents: AGENTS,
      datagramsSent: udpResult.sent,
      forgedDeaths: udpResult.forged,
      udpSeconds: Math.round(udpResult.ms / 100) / 10,
      tcpOpened,
      tcpClosedByAgent: tcpClosed,
      membersAdded: after.filter((m) => !expectedNames.has(m.name)).map((m) => asciiJson(m.name)),
      membersChanged: after
        .filter((m) => original.has(m.name) && key(original.get(m.name)!) !== key(m))
        .map((m) => `${m.name}: ${key(original.get(m.name)!)} -> ${key(m)}`),
      liveMembersSeenDead: after
        .filter((m) => original.has(m.name) && m.state !== 'alive')
        .map((m) => m.name),
      rssBeforeMb: rssBefore.map((u) => u.rssMb),
      rssAfterMb: rssAfter.map((u) => u.rssMb),
      heapUsedBeforeMb: heapBefore.slice(0, AGENTS),
      heapUsedAfterMb: heapAfter,
      fdsBefore: rssBefore.map((u) => u.fds),
      fdsDuringMax: fdsMax,
      fdsAfter: rssAfter.map((u) => u.fds),
      joinDuringAttackMs: joinMs,
      httpAnsweredDuringAttack: httpOk,
      refusals: refused,
      logLines: newLogs.length,
      stackTraces: newLogs.filter((l) => JSON.stringify(l).includes('"stack"')).length,
    };
  } finally {
    for (const a of agents) await a.stop('SIGKILL');
  }
}

const results: ModeResult[] = [];
for (const mode of MODES) results.push(await runMode(mode));
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);

if (WRITE_DOC) {
  const docPath = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
  const doc = readFileSync(docPath, 'utf8');
  const command = `node --import tsx scripts/bench-hostile.ts --agents ${AGENTS} --datagrams ${DATAGRAMS} --tcp ${TCP} --seed ${SEED}`;
  const row = (r: ModeResult) => {
    const rssDelta = r.rssAfterMb.map((v, i) => Math.round((v - r.rssBeforeMb[i]!) * 10) / 10);
    return `| ${r.mode} | ${r.datagramsSent.toLocaleString('en')} (${r.forgedDeaths} forged deaths) in ${r.udpSeconds} s | ${r.tcpOpened} opened, ${r.tcpClosedByAgent} closed by the agent | ${r.membersAdded.length} | ${r.membersChanged.length} | ${r.liveMembersSeenDead.join(', ') || 'none'} | ${r.rssBeforeMb.join(' / ')} → ${r.rssAfterMb.join(' / ')} (${rssDelta.map((d) => (d >= 0 ? `+${d}` : `${d}`)).join(' / ')}) | ${r.fdsBefore.join('/')} → max ${r.fdsDuringMax.join('/')} → ${r.fdsAfter.join('/')} | ${r.joinDuringAttackMs === null ? 'no (60 s)' : `yes, ${(r.joinDuringAttackMs / 1000).toFixed(1)} s`} | ${r.httpAnsweredDuringAttack ? 'yes' : 'no'} | ${r.logLines} (${r.stackTraces} with a stack) |`;
  };
  const section = [
    '## Hostile traffic (issue 8)',
    '',
    `Command: \`${command}\` (${new Date().toISOString().slice(0, 10)}, 2-core machine shared with other jobs;`,
    `1-minute load average at the start → end of each mode: ${results.map((r) => `${r.mode} ${r.load[0]} → ${r.load[1]}`).join(', ')}).`,
    `${AGENTS} agent processes on 127.0.0.1 per mode; the attacker sends the datagrams round-robin to all of them from`,
    '127.0.9.1 (fuzz-corpus packets: valid, mutated, truncated, random; every 1,000th a forged',
    '`{name: <live member>, generation: +1, state: dead}`), and opens the TCP connections to the first agent from',
    '50 addresses in 127.0.10.0/24 (a third declare a 16 MiB frame, a third send one byte a second, a third stay',
    'silent). A new agent joins through the attacked agent 2 s into the attack. RSS and descriptors are per agent',
    '(before → after; descriptors before → highest sampled during → after). Members are compared on the first',
    "agent's view 10 s after the datagrams end.",
    '',
    '| cluster | datagrams | TCP connections | members added | members changed | live members not alive | RSS MB | descriptors | new node joined during attack | HTTP answered | log lines, all levels (stack traces) |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map(row),
    '',
    'Refusals and drops counted by the agents (`grapevine_refused_total`, `grapevine_packets_dropped_total`):',
    '',
    ...results.map(
      (r) =>
        `- ${r.mode}: ${
          Object.entries(r.refusals)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ') || 'none'
        }`,
    ),
    ...results.flatMap((r) =>
      r.membersChanged.length + r.membersAdded.length > 0
        ? [
            `- ${r.mode}, changed: ${[...r.membersChanged, ...r.membersAdded.map((n) => `added ${n}`)].slice(0, 12).join('; ')}`,
          ]
        : [],
    ),
    '',
  ].join('\n');
  const start = doc.indexOf('## Hostile traffic (issue 8)');
  let next = start < 0 ? -1 : doc.indexOf('\n## ', start + 1);
  if (next >= 0) next += 1;
  const updated =
    start < 0
      ? `${doc.trimEnd()}\n\n${section}`
      : `${doc.slice(0, start)}${section}${next >= 0 ? `\n${doc.slice(next)}` : ''}`;
  writeFileSync(docPath, updated.endsWith('\n') ? updated : `${updated}\n`);
  process.stderr.write('updated docs/benchmarks.md\n');
}
