// One run of one system inside the current network namespace: start N agents, then measure join,
// steady load, a user event, kill -9 and a graceful leave — or, in false-positive mode, hold the
// cluster under UDP loss with one agent frozen now and then and count wrong failure verdicts.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { ClusterAdapter } from './cluster-adapter.js';
import { waitFor } from './observations.js';
import { cpuSeconds, loopbackTxBytes, rssMb } from './proc-usage.js';
import type {
  Detection,
  FalsePositiveCounts,
  RunFigures,
  RunNotes,
  RunSpec,
  TradeOffPoint,
} from './types.js';

const execFileP = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms: number) => ms / 1000;

interface Joined {
  t0: number;
  lastSpawn: number;
  joinDone: number;
  lastReady: number;
  /** CPU-seconds used from the first spawn until every agent saw every other. */
  cpu: { agents: number; agentsUntilUp: number | null; driver: number };
}

/** Spawns all agents back to back and waits until every one sees all N alive. */
async function startAndJoin(c: ClusterAdapter, spec: RunSpec): Promise<Joined> {
  const names = Array.from({ length: spec.n }, (_, i) => c.name(i));
  const t0 = Date.now();
  const driver0 = process.cpuUsage();
  for (let i = 0; i < spec.n; i++) c.spawn(i);
  const lastSpawn = Date.now();
  const joinDone = await waitFor(
    `all ${spec.n} agents to see each other alive`,
    spec.waitTimeoutMs,
    () => {
      let latest = 0;
      for (const observer of names) {
        const at = c.obs.allLiveAt(observer, names);
        if (at === null) return null;
        latest = Math.max(latest, at);
      }
      return latest;
    },
    () => c.obs.missing(names, names, ['alive', 'suspect']),
  );
  const lastReady = Math.max(...names.map((n) => c.obs.readyAt.get(n) ?? joinDone));
  const driver = process.cpuUsage(driver0);
  const up = [...c.obs.cpuAtReadyS.values()];
  const cpu = {
    agents: names.reduce((sum, _, i) => sum + cpuSeconds(c.pid(i)), 0),
    // Grapevine: what the agents had used by the time each was up (start-up, not protocol).
    agentsUntilUp: up.length === spec.n ? up.reduce((a, b) => a + b, 0) : null,
    driver: (driver.user + driver.system) / 1e6,
  };
  return { t0, lastSpawn, joinDone, lastReady, cpu };
}

/** Bytes/s and CPU % per agent over `s` quiet seconds, and the mean RSS at the end. */
async function steadyLoad(c: ClusterAdapter, indexes: number[], s: number) {
  const pids = indexes.map((i) => c.pid(i));
  const bytes0 = loopbackTxBytes();
  const cpu0 = pids.map(cpuSeconds);
  const start = Date.now();
  await sleep(s * 1000);
  const elapsed = seconds(Date.now() - start);
  const bytes = loopbackTxBytes() - bytes0;
  const cpu = pids.map((p, k) => cpuSeconds(p) - cpu0[k]!);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    bytesPerSec: bytes / elapsed / pids.length,
    cpuPercent: (mean(cpu) / elapsed) * 100,
    rssMb: mean(pids.map(rssMb)),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Waits until every observer has a final verdict on `member` (one of `states`); returns each
 * observer's delay from t and how many reached each state (a leave can be seen as a failure).
 */
async function verdicts(
  c: ClusterAdapter,
  observers: number[],
  member: string,
  states: Array<'dead' | 'left'>,
  t: number,
  timeoutMs: number,
): Promise<{ delays: number[]; byState: Record<string, number> }> {
  const names = observers.map((o) => c.name(o));
  return waitFor(
    `every survivor to see ${member} ${states.join(' or ')}`,
    timeoutMs,
    () => {
      const delays: number[] = [];
      const byState: Record<string, number> = {};
      for (const o of names) {
        const s = c.obs.sighting(o, member);
        if (!s || !(states as string[]).includes(s.state)) return null;
        delays.push(seconds(s.at - t));
        byState[s.state] = (byState[s.state] ?? 0) + 1;
      }
      return { delays, byState };
    },
    () => c.obs.missing(names, [member], states),
  );
}

/**
 * The last few (observer learned member) pairs, with both agents' up times and (Grapevine) when each
 * logged its join and how many members it saw then: where join time went.
 */
function slowestJoins(c: ClusterAdapter, n: number, t0: number): string[] {
  const names = Array.from({ length: n }, (_, i) => c.name(i));
  const rel = (t: number | null | undefined) =>
    t === null || t === undefined ? '?' : seconds(t - t0).toFixed(2);
  const agent = (name: string) => {
    const j = c.obs.joinedAt.get(name);
    const joined = j ? `, joined ${rel(j.at)} s with ${j.members}` : '';
    return `${name} (up ${rel(c.obs.readyAt.get(name))} s${joined})`;
  };
  const pairs: Array<{ o: string; m: string; at: number }> = [];
  for (const o of names)
    for (const m of names) if (o !== m) pairs.push({ o, m, at: c.obs.sighting(o, m)?.liveSince ?? 0 });
  pairs.sort((a, b) => b.at - a.at);
  return pairs.slice(0, 5).map((p) => `${agent(p.o)} learned ${agent(p.m)} at ${rel(p.at)} s`);
}

export async function measureFigures(
  c: ClusterAdapter,
  spec: RunSpec,
  notes: RunNotes = {},
): Promise<RunFigures> {
  const all = Array.from({ length: spec.n }, (_, i) => i);
  const j = await startAndJoin(c, spec);
  notes.deathsWhileJoining = c.obs.deaths.length;
  notes.suspectSightingsWhileJoining = c.obs.suspectSightings;
  notes.slowestJoins = slowestJoins(c, spec.n, j.t0);
  notes.cpuWhileJoiningS = j.cpu;
  if (c.sessionsEvicted) notes.sessionsEvictedWhileJoining = await c.sessionsEvicted();
  if (c.probeCounters) notes.probesBroughtForwardWhileJoining = (await c.probeCounters()).broughtForward;
  // Let join traffic (announcements, first anti-entropy rounds) die down before the quiet window, and
  // the newest agent get past its start-up (RunSpec.warmUpSeconds).
  const lastUp = Math.max(...c.obs.readyAt.values());
  await sleep(Math.max(3_000, lastUp + spec.warmUpSeconds * 1000 - Date.now()));
  const load = await steadyLoad(c, all, spec.steadySeconds);

  // A user event from agent 1, timed from the moment its own agent saw it.
  const origin = Math.min(1, spec.n - 1);
  const eventName = `bench-${Date.now()}`;
  const fired = Date.now();
  await c.fireEvent(origin, eventName);
  const seen = await waitFor(`event ${eventName} at every agent`, spec.waitTimeoutMs, () => {
    const m = c.obs.eventSeen(eventName);
    return m.size === spec.n ? m : null;
  });
  const eventStart = seen.get(c.name(origin)) ?? fired;
  const eventToLastS = seconds(Math.max(...seen.values()) - eventStart);

  // kill -9 the last agent; every survivor must mark it dead.
  const probesBefore = await c.probeCounters?.();
  const { survivors, detection } = await killDetection(c, spec);
  const probesAfter = await c.probeCounters?.();
  if (probesBefore && probesAfter) {
    notes.killFallbackRefusals = probesAfter.fallbackRefused - probesBefore.fallbackRefused;
    notes.killProbesBroughtForward = probesAfter.broughtForward - probesBefore.broughtForward;
  }
  // Where detection time went: waiting for someone to probe the dead member, or after that.
  const firstSuspect = c.obs.firstSuspectSince(c.name(spec.n - 1), detection.killedAt);
  if (firstSuspect !== undefined) notes.killFirstSuspectS = seconds(firstSuspect - detection.killedAt);

  // Graceful leave of another agent; every remaining one must see it left.
  const leaver = spec.n - 2;
  const remaining = survivors.filter((i) => i !== leaver);
  const leftAt = Date.now();
  c.leave(leaver);
  // Timed until every remaining agent has a verdict; those that saw a failure instead are counted.
  const leave = await verdicts(c, remaining, c.name(leaver), ['left', 'dead'], leftAt, spec.waitTimeoutMs);
  const left = leave.delays;
  notes.leaveSeenAsDead = leave.byState.dead ?? 0;

  return {
    joinFromFirstStartS: seconds(j.joinDone - j.t0),
    joinFromLastSpawnS: seconds(j.joinDone - j.lastSpawn),
    joinFromLastReadyS: seconds(Math.max(0, j.joinDone - j.lastReady)),
    startupS: seconds(j.lastReady - j.t0),
    eventToLastS,
    killDeadFirstS: detection.firstS,
    killDeadMedianS: detection.medianS,
    killDeadLastS: detection.lastS,
    leaveLastS: Math.max(...left),
    steadyBytesPerSecPerAgent: load.bytesPerSec,
    cpuPercentPerAgent: load.cpuPercent,
    rssMbPerAgent: load.rssMb,
  };
}

/** kill -9 of the last agent: when each survivor marks it dead. */
async function killDetection(
  c: ClusterAdapter,
  spec: RunSpec,
): Promise<{ survivors: number[]; detection: Detection & { killedAt: number } }> {
  const victim = spec.n - 1;
  const survivors = Array.from({ length: spec.n }, (_, i) => i).filter((i) => i !== victim);
  const killedAt = Date.now();
  process.kill(c.pid(victim), 'SIGKILL');
  const { delays } = await verdicts(c, survivors, c.name(victim), ['dead'], killedAt, spec.waitTimeoutMs);
  return {
    survivors,
    detection: { firstS: Math.min(...delays), medianS: median(delays), lastS: Math.max(...delays), killedAt },
  };
}

export async function measureFalsePositives(c: ClusterAdapter, spec: RunSpec): Promise<FalsePositiveCounts> {
  await startAndJoin(c, spec);
  await sleep(3_000);
  return underFaults(c, spec);
}

/**
 * One point of the trade-off curve: the false-positive window, then — faults removed, 2 s to
 * settle — a kill -9 timed to every survivor's verdict, all under the run's tuning.
 */
export async function measureTradeOff(c: ClusterAdapter, spec: RunSpec): Promise<TradeOffPoint> {
  if (!spec.tuning) throw new Error('trade-off mode needs spec.tuning');
  await startAndJoin(c, spec);
  await sleep(3_000);
  const falsePositives = await underFaults(c, spec);
  const { detection } = await killDetection(c, spec);
  return { tuning: spec.tuning, falsePositives, detection };
}

/** UDP loss and periodic freezes of agent 1 on a formed cluster; counts what went wrong. */
async function underFaults(c: ClusterAdapter, spec: RunSpec): Promise<FalsePositiveCounts> {
  const fp = spec.fp;
  if (!fp) throw new Error(`${spec.mode} mode needs spec.fp`);
  const suspicions0 = await c.suspicionsRaised();
  const deaths0 = c.obs.deaths.length;
  // Inside the namespace: the input hook sees every loopback packet once.
  const basisPoints = Math.round(fp.udpLossPercent * 100);
  await execFileP('nft', ['add table inet gvbench']);
  await execFileP('nft', [
    'add chain inet gvbench input { type filter hook input priority 0; policy accept; }',
  ]);
  await execFileP('nft', [
    `add rule inet gvbench input meta l4proto udp numgen random mod 10000 < ${basisPoints} drop`,
  ]);
  const frozen = Math.min(1, spec.n - 1);
  const end = Date.now() + fp.minutes * 60_000;
  let freezes = 0;
  try {
    while (Date.now() < end) {
      await sleep(Math.min(fp.freezeEveryMs - fp.freezeMs, Math.max(0, end - Date.now())));
      // Only a freeze that fits in the window: a timer can wake a millisecond before `end` by Date.now(),
      // which used to start one more freeze than the window holds.
      if (end - Date.now() < fp.freezeMs) break;
      process.kill(c.pid(frozen), 'SIGSTOP');
      freezes++;
      try {
        await sleep(fp.freezeMs);
      } finally {
        process.kill(c.pid(frozen), 'SIGCONT');
      }
    }
  } finally {
    await execFileP('nft', ['delete table inet gvbench']);
  }
  await sleep(2_000);
  const deaths = c.obs.deaths.slice(deaths0);
  return {
    falseDeadDeclarations: deaths.length,
    membersFalselyDeclaredDead: new Set(deaths.map((d) => d.member)).size,
    suspicionsRaised: (await c.suspicionsRaised()) - suspicions0,
    freezes,
    minutes: fp.minutes,
    udpLossPercent: fp.udpLossPercent,
  };
}
