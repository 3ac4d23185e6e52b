// Starts, stops and tracks the demo's agent processes — real `grapevine agent`s on localhost — and
// applies the faults the page offers: kill (SIGKILL), freeze (SIGSTOP), resume (SIGCONT) and restart
// (a new process under the same name on new ports, as a rescheduled pod would get).
import { type ChildProcess, spawn } from 'node:child_process';
import {
  type AgentSpec,
  agentArgs,
  defaultGrapevineCommand,
  type GrapevineCommand,
} from './agent-command-line.js';
import { type AgentPorts, reserveAgentPorts } from './free-ports.js';

export type AgentProcessState = 'starting' | 'running' | 'frozen' | 'killed' | 'exited';

export interface FleetAgentInfo {
  name: string;
  state: AgentProcessState;
  pid: number | null;
  /** host:port of its gossip socket; null before the first start. */
  gossipAddr: string | null;
  /** Base URL of its HTTP API, e.g. http://127.0.0.1:40123; null before the first start. */
  httpUrl: string | null;
  /** Processes started under this name so far. */
  starts: number;
  exitCode: number | null;
}

export interface FleetOptions {
  nodes: number;
  /** Address every agent binds (gossip and HTTP). Default 127.0.0.1. */
  host?: string;
  /** Program that runs `grapevine`; default: this checkout's entry point. */
  command?: GrapevineCommand;
  /** How long one agent may take to answer its HTTP API after spawning. Default 60 s. */
  startTimeoutMs?: number;
  /** More `grapevine agent` flags for every agent. */
  extraAgentArgs?: readonly string[];
  /** How long stopAll waits after SIGTERM before SIGKILL. Default 1 s: when every agent leaves at once nobody acknowledges the leave, so waiting longer only delays the exit. */
  stopGraceMs?: number;
}

/** The name does not belong to the fleet (HTTP 404 on the page's API). */
export class UnknownAgentError extends Error {}
/** The action does not apply to the agent's current state, e.g. resuming a running agent (409). */
export class AgentStateError extends Error {}
/** A process did not come up; the message ends with what it printed last. */
export class AgentStartError extends Error {}

interface Slot {
  name: string;
  state: AgentProcessState;
  proc: ChildProcess | null;
  exited: Promise<void>;
  ports: AgentPorts | null;
  starts: number;
  exitCode: number | null;
  /** Set when we signalled the process to end, so its exit reads as `killed`, not `exited`. */
  endRequested: boolean;
  output: string;
  /** Serialises actions on one agent (a restart must not race a kill). */
  queue: Promise<unknown>;
}

const OUTPUT_TAIL_CHARS = 4_000;
const START_ATTEMPTS = 3;

export function demoAgentName(index: number, total: number): string {
  return `demo-${String(index + 1).padStart(Math.max(2, String(total).length), '0')}`;
}

export class AgentFleet {
  readonly host: string;
  private readonly slots: Slot[];
  private readonly byName = new Map<string, Slot>();
  private readonly listeners = new Set<(a: FleetAgentInfo) => void>();
  private readonly command: GrapevineCommand;
  private readonly startTimeoutMs: number;
  private readonly stopGraceMs: number;
  private readonly extraAgentArgs: readonly string[];
  private stopping = false;

  constructor(opts: FleetOptions) {
    if (!Number.isInteger(opts.nodes) || opts.nodes < 1)
      throw new RangeError('nodes must be a positive integer');
    this.host = opts.host ?? '127.0.0.1';
    this.command = opts.command ?? defaultGrapevineCommand();
    this.startTimeoutMs = opts.startTimeoutMs ?? 60_000;
    this.stopGraceMs = opts.stopGraceMs ?? 1_000;
    this.extraAgentArgs = opts.extraAgentArgs ?? [];
    this.slots = Array.from({ length: opts.nodes }, (_, i) => ({
      name: demoAgentName(i, opts.nodes),
      state: 'starting' as const,
      proc: null,
      exited: Promise.resolve(),
      ports: null,
      starts: 0,
      exitCode: null,
      endRequested: false,
      output: '',
      queue: Promise.resolve(),
    }));
    for (const s of this.slots) this.byName.set(s.name, s);
  }

  names(): string[] {
    return this.slots.map((s) => s.name);
  }

  agents(): FleetAgentInfo[] {
    return this.slots.map((s) => this.info(s));
  }

  agent(name: string): FleetAgentInfo {
    return this.info(this.slot(name));
  }

  /** Called on every process state change; returns the unsubscribe function. */
  onChange(listener: (a: FleetAgentInfo) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts every agent: the first alone, then the rest joining it. Resolves when all answer HTTP. */
  async start(): Promise<void> {
    const [first, ...rest] = this.slots;
    if (!first) return;
    await this.enqueue(first, () => this.launch(first, null));
    const seed = first.ports ? `${this.host}:${first.ports.gossip}` : null;
    const results = await Promise.allSettled(rest.map((s) => this.enqueue(s, () => this.launch(s, seed))));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async kill(name: string): Promise<FleetAgentInfo> {
    const s = this.slot(name);
    return this.enqueue(s, async () => {
      if (s.state !== 'running' && s.state !== 'frozen') throw new AgentStateError(`${name} is not running`);
      await this.end(s, 'SIGKILL');
      return this.info(s);
    });
  }

  async freeze(name: string): Promise<FleetAgentInfo> {
    const s = this.slot(name);
    return this.enqueue(s, async () => {
      if (s.state !== 'running') throw new AgentStateError(`${name} is not running, so it cannot be frozen`);
      s.proc?.kill('SIGSTOP');
      this.setState(s, 'frozen');
      return this.info(s);
    });
  }

  async resume(name: string): Promise<FleetAgentInfo> {
    const s = this.slot(name);
    return this.enqueue(s, async () => {
      if (s.state !== 'frozen') throw new AgentStateError(`${name} is not frozen`);
      s.proc?.kill('SIGCONT');
      this.setState(s, 'running');
      return this.info(s);
    });
  }

  /** Kills the process if it still runs, then starts a new one under the same name on new ports. */
  async restart(name: string): Promise<FleetAgentInfo> {
    const s = this.slot(name);
    return this.enqueue(s, async () => {
      if (s.state === 'starting') throw new AgentStateError(`${name} is still starting`);
      if (s.state === 'running' || s.state === 'frozen') await this.end(s, 'SIGKILL');
      const peers = this.slots.filter((o) => o !== s && o.state === 'running' && o.ports);
      const peer = peers[Math.floor(Math.random() * peers.length)];
      await this.launch(s, peer?.ports ? `${this.host}:${peer.ports.gossip}` : null);
      return this.info(s);
    });
  }

  /** Ends every process (SIGTERM, then SIGKILL after the grace period) and waits until all are gone. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map(async (s) => {
        if (!s.proc || s.proc.exitCode !== null || s.proc.signalCode !== null) return;
        const done = s.exited;
        s.endRequested = true;
        s.proc.kill('SIGTERM');
        // A stopped process keeps SIGTERM pending until it continues.
        s.proc.kill('SIGCONT');
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          done.then(() => false),
          new Promise<boolean>((r) => {
            timer = setTimeout(() => r(true), this.stopGraceMs);
          }),
        ]);
        clearTimeout(timer);
        if (timedOut) {
          s.proc.kill('SIGKILL');
          await done;
        }
      }),
    );
  }

  private slot(name: string): Slot {
    const s = this.byName.get(name);
    if (!s) throw new UnknownAgentError(`no agent named '${name}' in this demo`);
    return s;
  }

  private info(s: Slot): FleetAgentInfo {
    const live = s.state === 'running' || s.state === 'frozen' || s.state === 'starting';
    return {
      name: s.name,
      state: s.state,
      pid: live ? (s.proc?.pid ?? null) : null,
      gossipAddr: s.ports ? `${this.host}:${s.ports.gossip}` : null,
      httpUrl: s.ports ? `http://${hostForUrl(this.host)}:${s.ports.http}` : null,
      starts: s.starts,
      exitCode: s.exitCode,
    };
  }

  private setState(s: Slot, state: AgentProcessState): void {
    s.state = state;
    const info = this.info(s);
    for (const l of this.listeners) l(info);
  }

  private enqueue<T>(s: Slot, action: () => Promise<T>): Promise<T> {
    const next = s.queue.then(action, action);
    s.queue = next.catch(() => undefined);
    return next;
  }

  private async end(s: Slot, signal: NodeJS.Signals): Promise<void> {
    if (!s.proc) return;
    s.endRequested = true;
    s.proc.kill(signal);
    await s.exited;
  }

  /** Spawns a process for the slot and waits until its HTTP API answers; retries on a port clash. */
  private async launch(s: Slot, join: string | null): Promise<void> {
    let lastError: Error | null = null;
    for (let attempt = 0; attempt < START_ATTEMPTS && !this.stopping; attempt++) {
      const [ports] = await reserveAgentPorts(this.host, 1);
      if (!ports) throw new Error('no free ports');
      if (this.stopping) return;
      try {
        const spec: AgentSpec = {
          name: s.name,
          host: this.host,
          gossipPort: ports.gossip,
          httpPort: ports.http,
          join,
          extra: this.extraAgentArgs,
        };
        await this.spawnOnce(s, spec, ports);
        return;
      } catch (err) {
        lastError = err instanceof Error ? err : new Error(String(err));
        if (!/EADDRINUSE|address already in use/i.test(s.output)) break;
      }
    }
    if (this.stopping) return;
    throw lastError ?? new AgentStartError(`${s.name} did not start`);
  }

  private async spawnOnce(s: Slot, spec: AgentSpec, ports: AgentPorts): Promise<void> {
    const proc = spawn(this.command.file, [...this.command.args, ...agentArgs(spec)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    s.proc = proc;
    s.ports = ports;
    s.starts++;
    s.exitCode = null;
    s.endRequested = false;
    s.output = '';
    const keepTail = (chunk: Buffer) => {
      s.output = (s.output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
    };
    proc.stdout?.on('data', keepTail);
    proc.stderr?.on('data', keepTail);
    let exitedNow = false;
    s.exited = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        exitedNow = true;
        if (s.proc === proc) {
          s.exitCode = code ?? (signal ? 128 : null);
          this.setState(s, s.endRequested ? 'killed' : 'exited');
        }
        resolve();
      });
      proc.once('error', (err) => {
        keepTail(Buffer.from(String(err)));
        if (!exitedNow && proc.pid === undefined) {
          exitedNow = true;
          if (s.proc === proc) this.setState(s, 'exited');
          resolve();
        }
      });
    });
    this.setState(s, 'starting');
    const url = `http://${hostForUrl(spec.host)}:${spec.httpPort}/v1/self`;
    const deadline = Date.now() + this.startTimeoutMs;
    while (!exitedNow && !this.stopping) {
      if (await answers(url)) {
        if (!exitedNow) this.setState(s, 'running');
        return;
      }
      if (Date.now() > deadline) {
        s.endRequested = true;
        proc.kill('SIGKILL');
        await s.exited;
        throw new AgentStartError(
          `${s.name} did not answer on ${url} within ${this.startTimeoutMs} ms${tail(s.output)}`,
        );
      }
      await delay(100);
    }
    if (this.stopping) return;
    throw new AgentStartError(`${s.name} exited while starting (code ${s.exitCode})${tail(s.output)}`);
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

function tail(output: string): string {
  // Stack frames say little to a demo user; the message lines above them say what went wrong.
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('at '));
  return lines.length ? `: ${lines.slice(-2).join(' | ')}` : '';
}

export function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
