// One status round for one GossipCluster: ask each agent (or a sample) for its view digest with a
// small GET /v1/self, then take the member counts from ONE agent holding the majority digest with a
// single GET /v1/members. Bounded: `concurrency` requests in flight, each aborted after `timeoutMs`
// (body included), and no new /v1/self request starts after `budgetMs`, so a round lasts at most
// ≈ budgetMs + 3 × timeoutMs whatever the agents do. It never throws: every failure becomes an entry
// with ok=false, which the conditions then report.
import {
  AGENT_PATHS,
  MEMBER_STATE_NAMES,
  type MemberStateName,
  type MemberView,
  type SelfView,
} from '../../contract/agent-http.js';

export const DEFAULT_POLL_CONCURRENCY = 8;
export const DEFAULT_POLL_TIMEOUT_MS = 1_000;
/** A uniform sample of 64 estimates the share of agents agreeing within about ±6 % (95 %). */
export const DEFAULT_POLL_MAX_AGENTS = 64;
/** No /v1/self request starts later than this into a round. */
export const DEFAULT_POLL_BUDGET_MS = 5_000;
/** The status collector runs a round per cluster this often (see status-collector.ts). */
export const DEFAULT_STATUS_INTERVAL_MS = 30_000;
/** /v1/members is asked of one agent; a second one only if the first fails. */
const MEMBERS_ATTEMPTS = 2;

export type MemberCounts = Record<MemberStateName, number>;

export interface PollTarget {
  pod: string;
  url: string;
}

export interface PollOptions {
  fetch?: typeof fetch;
  concurrency?: number;
  timeoutMs?: number;
  /** Poll at most this many agents, a random sample when there are more. */
  maxAgents?: number;
  /** No new /v1/self request starts after this many ms; the agents not asked count as not polled. */
  budgetMs?: number;
  /** Bearer token for the agents' /v1 routes (their `apiTokenFile`). */
  token?: string;
  /** Source of randomness for the sample (tests pass a seeded one). */
  random?: () => number;
}

export interface AgentPollEntry {
  pod: string;
  url: string;
  ok: boolean;
  digest?: string;
  /** The agent's own readiness (joined, not leaving). */
  ready?: boolean;
  healthScore?: number;
  /** One line: why the agent could not be read. */
  error?: string;
}

export interface AgentPollResult {
  /** One entry per polled agent, in target order. */
  agents: AgentPollEntry[];
  /** Targets given. */
  total: number;
  /** Targets polled (= total unless sampled). */
  polled: number;
  /** Polled agents that answered /v1/self. */
  reached: number;
  /** Reached agents that report themselves ready (joined, not leaving). */
  joined: number;
  /** polled < total: "converged" then means "all sampled agents agree". */
  sampled: boolean;
  distinctDigests: number;
  majorityDigest?: string;
  /** Reached agents holding the majority digest. */
  majorityCount: number;
  /** Members by state in the majority view; absent when no majority agent answered /v1/members. */
  members?: MemberCounts;
  /** Pod whose /v1/members gave `members`. */
  membersFrom?: string;
  /** At least one agent reached, and every reached agent reports the same digest. */
  converged: boolean;
  durationMs: number;
}

type Got = { ok: true; body: unknown } | { ok: false; error: string };

export async function pollAgents(
  targets: readonly PollTarget[],
  opts: PollOptions = {},
): Promise<AgentPollResult> {
  const started = performance.now();
  const fetchFn = opts.fetch ?? globalThis.fetch;
  const concurrency = positiveInt(opts.concurrency, DEFAULT_POLL_CONCURRENCY);
  const timeoutMs = positiveInt(opts.timeoutMs, DEFAULT_POLL_TIMEOUT_MS);
  const maxAgents = positiveInt(opts.maxAgents, DEFAULT_POLL_MAX_AGENTS);
  const deadline = started + positiveInt(opts.budgetMs, DEFAULT_POLL_BUDGET_MS);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const get = (url: string) => getJson(fetchFn, url, headers, timeoutMs);

  const chosen = sample(targets, maxAgents, opts.random ?? Math.random);
  const asked = await mapBounded(chosen, concurrency, deadline, async (t): Promise<AgentPollEntry> => {
    const got = await get(`${t.url}${AGENT_PATHS.self}`);
    if (!got.ok) return { pod: t.pod, url: t.url, ok: false, error: got.error };
    const self = got.body as Partial<SelfView> | null;
    if (typeof self?.viewDigest !== 'string' || self.viewDigest === '')
      return { pod: t.pod, url: t.url, ok: false, error: '/v1/self: no viewDigest in the answer' };
    return {
      pod: t.pod,
      url: t.url,
      ok: true,
      digest: self.viewDigest,
      ready: self.ready === true,
      healthScore: typeof self.healthScore === 'number' ? self.healthScore : undefined,
    };
  });

  // Agents left unasked when the budget ran out are simply not part of this round.
  const agents = asked.filter((a): a is AgentPollEntry => a !== undefined);
  const counts = new Map<string, number>();
  for (const a of agents) if (a.ok && a.digest) counts.set(a.digest, (counts.get(a.digest) ?? 0) + 1);
  let majorityDigest: string | undefined;
  let majorityCount = 0;
  for (const [digest, n] of counts) {
    // Ties go to the smaller digest so equal inputs give equal results.
    if (
      n > majorityCount ||
      (n === majorityCount && majorityDigest !== undefined && digest < majorityDigest)
    ) {
      majorityDigest = digest;
      majorityCount = n;
    }
  }
  const reached = agents.filter((a) => a.ok).length;
  const joined = agents.filter((a) => a.ok && a.ready).length;

  let members: MemberCounts | undefined;
  let membersFrom: string | undefined;
  const candidates = agents
    .filter((a) => a.ok && a.digest === majorityDigest)
    .sort(
      (a, b) =>
        Number(b.ready) - Number(a.ready) ||
        (a.healthScore ?? 0) - (b.healthScore ?? 0) ||
        (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0),
    );
  for (const c of candidates.slice(0, MEMBERS_ATTEMPTS)) {
    const got = await get(`${c.url}${AGENT_PATHS.members}`);
    const tally = got.ok ? countByState(got.body) : undefined;
    if (tally) {
      members = tally;
      membersFrom = c.pod;
      break;
    }
  }

  return {
    agents,
    total: targets.length,
    polled: agents.length,
    reached,
    joined,
    sampled: agents.length < targets.length,
    distinctDigests: counts.size,
    majorityDigest,
    majorityCount,
    members,
    membersFrom,
    converged: reached > 0 && counts.size === 1,
    durationMs: Math.round(performance.now() - started),
  };
}

function positiveInt(v: number | undefined, def: number): number {
  return v !== undefined && Number.isFinite(v) && v >= 1 ? Math.floor(v) : def;
}

/** All targets when they fit; else a uniform random sample of n (partial Fisher–Yates), in target order. */
function sample<T>(items: readonly T[], n: number, random: () => number): T[] {
  if (items.length <= n) return [...items];
  const idx = items.map((_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (idx.length - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx
    .slice(0, n)
    .sort((a, b) => a - b)
    .map((i) => items[i]!);
}

/**
 * Runs fn over items with at most `limit` calls pending and none started after `deadline`
 * (performance.now() ms); items never started stay undefined. fn must not throw.
 */
async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  deadline: number,
  fn: (t: T) => Promise<R>,
): Promise<Array<R | undefined>> {
  const out = new Array<R | undefined>(items.length).fill(undefined);
  let next = 0;
  const worker = async () => {
    while (next < items.length && performance.now() < deadline) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function getJson(
  fetchFn: typeof fetch,
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<Got> {
  const path = url.slice(url.lastIndexOf('/v1/'));
  try {
    // The same signal covers the body, so a slow trickle cannot outlast the timeout either.
    const res = await fetchFn(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      return { ok: false, error: `${path}: HTTP ${res.status}` };
    }
    return { ok: true, body: JSON.parse(await res.text()) as unknown };
  } catch (err) {
    return { ok: false, error: `${path}: ${describe(err, timeoutMs)}` };
  }
}

function describe(err: unknown, timeoutMs: number): string {
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  if (err instanceof SyntaxError) return 'answer is not JSON';
  if (err instanceof Error) {
    const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
    if (typeof cause?.code === 'string') return cause.code;
    if (typeof cause?.message === 'string') return cause.message;
    return err.message;
  }
  return String(err);
}

function countByState(body: unknown): MemberCounts | undefined {
  if (!Array.isArray(body)) return undefined;
  const counts: MemberCounts = { alive: 0, suspect: 0, dead: 0, left: 0 };
  for (const m of body as Array<Partial<MemberView> | null>) {
    const state = m?.state;
    if (!state || !MEMBER_STATE_NAMES.includes(state)) return undefined;
    counts[state]++;
  }
  return counts;
}
