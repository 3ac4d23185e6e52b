// The per-system half of the benchmark: how to start an agent of that system inside the current
// network namespace, and how to make it fire an event, leave or die. Each adapter reports what its
// agents see into an Observations table.
import type { ChildProcess } from 'node:child_process';
import type { Observations } from './observations.js';

export interface ProbeCounters {
  fallbackRefused: number;
  broughtForward: number;
}

export interface ClusterAdapter {
  readonly system: 'grapevine' | 'serf';
  readonly obs: Observations;
  /** Agent name for index i (stable across the run). */
  name(i: number): string;
  /** Starts agent i; every agent but the first joins agent 0. Returns at once (no waiting). */
  spawn(i: number): void;
  pid(i: number): number;
  /** Fires user event `name` from agent i. */
  fireEvent(i: number, name: string): Promise<void>;
  /** Asks agent i to leave gracefully (the way an operator would stop it). */
  leave(i: number): void;
  /** Suspicions raised so far by all agents still running. */
  suspicionsRaised(): Promise<number>;
  /** Grapevine: anti-entropy sessions its agents evicted (sum, and the agent with the most). */
  sessionsEvicted?(): Promise<{ total: number; most: number; at: string }>;
  /**
   * Grapevine, summed over its running agents: TCP fallback probes found refused, and probes brought
   * forward because the member closed a pooled connection — how a kill was found.
   */
  probeCounters?(): Promise<ProbeCounters>;
  /** Kills every agent (SIGKILL) and waits for them to exit. */
  stopAll(): Promise<void>;
}

/** Agent i's loopback address inside the namespace (lo answers for all of 127/8). */
export function agentHost(i: number): string {
  return `127.0.${1 + Math.floor(i / 200)}.${2 + (i % 200)}`;
}

/** Splits a stream into lines and hands each to `onLine` with its arrival time. */
export function onLines(
  stream: NodeJS.ReadableStream | null,
  onLine: (line: string, at: number) => void,
): void {
  let buf = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (d: string) => {
    const at = Date.now();
    buf += d;
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      onLine(buf.slice(0, i), at);
      buf = buf.slice(i + 1);
    }
  });
}

/** SIGKILLs the processes and waits for their exit. */
export async function killAll(children: Iterable<ChildProcess>): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}
