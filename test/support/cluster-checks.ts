// Shared settings and view checks for the integration tests that run agents in child processes.
import type { NodeHost } from './process-cluster.js';

/** Production protocol logic with shortened timings (probe every 300 ms) to keep the suite quick. */
export const FAST_ENGINE: Record<string, unknown> = {
  probeIntervalMs: 300,
  probeTimeoutMs: 150,
  gossipIntervalMs: 60,
  reconnectIntervalMs: 1_000,
  gossipToTheDeadMs: 5_000,
  antiEntropy: { intervalMs: 2_000 },
};

export type Observer = [host: NodeHost, node: string];

export async function viewOf(host: NodeHost, node: string): Promise<Map<string, string>> {
  return new Map((await host.members(node)).map((m) => [m.name, m.state]));
}

/** True when every observer sees `member` in `state`. */
export async function allSee(observers: Observer[], member: string, state: string): Promise<boolean> {
  for (const [h, n] of observers) if ((await viewOf(h, n)).get(member) !== state) return false;
  return true;
}

/** True when every observer sees exactly `count` alive members. */
export async function allSeeAlive(observers: Observer[], count: number): Promise<boolean> {
  for (const [h, n] of observers) {
    if ((await h.members(n)).filter((m) => m.state === 'alive').length !== count) return false;
  }
  return true;
}

/** "observer→member" for every member some observer holds dead. */
export async function deadAnywhere(observers: Observer[]): Promise<string[]> {
  const out: string[] = [];
  for (const [h, n] of observers)
    for (const [m, s] of await viewOf(h, n)) if (s === 'dead') out.push(`${n}→${m}`);
  return out;
}

export async function viewDigests(observers: Observer[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const [h, n] of observers) out.add(await h.request<string>('digest', { node: n }));
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
