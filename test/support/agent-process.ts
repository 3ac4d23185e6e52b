// Real `grapevine agent` processes for tests: started through the CLI, addresses read from the
// structured 'agent started' log line, stopped with real signals.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AGENT_NODE_FLAGS, BUILT_ENTRY } from '../../src/demo/agent-command-line.js';

const CLI = fileURLToPath(new URL('../../cmd/grapevine.ts', import.meta.url));
const BUILT_CLI = fileURLToPath(new URL(`../../${BUILT_ENTRY}`, import.meta.url));

/** The program and arguments before SUBCOMMAND: the sources through tsx, or with
 * GRAPEVINE_AGENT_ENTRY=built the bundle `npm run build` writes, with the bin's V8 flags (what ships). */
function entry(): string[] {
  return process.env.GRAPEVINE_AGENT_ENTRY === 'built'
    ? [...AGENT_NODE_FLAGS, BUILT_CLI]
    : ['--import', 'tsx', CLI];
}

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export class AgentProcess {
  readonly logs: LogLine[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  gossipAddr = '';
  url = '';
  name = '';

  private constructor(readonly proc: ChildProcess) {
    this.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
    let buf = '';
    proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          this.logs.push(JSON.parse(line) as LogLine);
        } catch {
          this.logs.push({ level: 0, msg: line });
        }
      }
    });
    proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
    });
  }

  /** Runs `grapevine agent ARGS`. */
  static spawn(args: string[], env: Record<string, string> = {}): AgentProcess {
    return AgentProcess.spawnCommand('agent', args, env);
  }

  /** Runs `grapevine SUBCOMMAND ARGS` (e.g. the operator), logs parsed like an agent's. */
  static spawnCommand(subcommand: string, args: string[], env: Record<string, string> = {}): AgentProcess {
    const proc = spawn(process.execPath, [...entry(), subcommand, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    return new AgentProcess(proc);
  }

  /** Starts an agent and waits for its 'agent started' log line. */
  static async start(args: string[], env: Record<string, string> = {}): Promise<AgentProcess> {
    const a = AgentProcess.spawn(args, env);
    const started = await a.waitForLog((l) => l.msg === 'agent started', 30_000);
    a.gossipAddr = String(started.gossipAddr);
    a.url = String(started.httpAddr);
    a.name = String(started.name);
    return a;
  }

  async waitForLog(match: (l: LogLine) => boolean, ms: number): Promise<LogLine> {
    const end = Date.now() + ms;
    for (;;) {
      const hit = this.logs.find(match);
      if (hit) return hit;
      if (this.proc.exitCode !== null)
        throw new Error(`agent exited (${this.proc.exitCode}): ${this.stderr}`);
      if (Date.now() > end) throw new Error(`log line not seen within ${ms} ms; stderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async json<T>(path: string, init?: RequestInit): Promise<T> {
    const res = await fetch(this.url + path, init);
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill(signal);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Sum of an agent's metric samples whose labels contain every string of `labels` (0 when absent). */
export async function metric(a: AgentProcess, name: string, ...labels: string[]): Promise<number> {
  const text = await (await fetch(`${a.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(' ') || rest.startsWith('{'))) continue;
    if (!labels.every((l) => rest.includes(l))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
