// The test side of node-host.ts: spawns host processes (optionally inside a network namespace),
// sends them requests and waits for answers.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { MemberRecord } from '../../src/agent/wire/messages.js';
import type { HostSpec } from './node-host.js';

const HOST = fileURLToPath(new URL('./node-host.ts', import.meta.url));

export class NodeHost {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly exited: Promise<number | null>;
  stderr = '';

  private constructor(
    readonly proc: ChildProcess,
    readonly pid: number,
    readonly addrs: string[],
  ) {
    this.exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  }

  /** Starts a host; `netns` runs it inside that network namespace (`ip netns exec`, same pid). */
  static async spawn(spec: HostSpec, netns?: string): Promise<NodeHost> {
    const args = ['--import', 'tsx', HOST, JSON.stringify(spec)];
    const proc = netns
      ? spawn('ip', ['netns', 'exec', netns, process.execPath, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const lines = createInterface({ input: proc.stdout! });
    const first = await new Promise<{ pid: number; addrs: string[] }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node host did not start: ${stderr}`)), 30_000);
      proc.on('exit', (code) => reject(new Error(`node host exited (${code}): ${stderr}`)));
      lines.once('line', (l) => {
        clearTimeout(timer);
        resolve(JSON.parse(l) as { pid: number; addrs: string[] });
      });
    });
    const host = new NodeHost(proc, first.pid, first.addrs);
    host.stderr = stderr;
    proc.stderr?.on('data', (d: Buffer) => {
      host.stderr += d.toString();
    });
    lines.on('line', (l) => {
      const msg = JSON.parse(l) as { id: number; ok: boolean; result?: unknown; error?: string };
      const w = host.waiting.get(msg.id);
      if (!w) return;
      host.waiting.delete(msg.id);
      if (msg.ok) w.resolve(msg.result);
      else w.reject(new Error(msg.error));
    });
    return host;
  }

  request<T = unknown>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`request ${cmd} timed out`)), 10_000);
      this.waiting.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.proc.stdin!.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
  }

  members(node: string): Promise<MemberRecord[]> {
    return this.request<MemberRecord[]>('members', { node });
  }

  signal(sig: NodeJS.Signals): void {
    process.kill(this.pid, sig);
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.stdin?.end();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 3_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Polls `check` every 200 ms until it returns true or `ms` pass. */
export async function eventually(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return check();
}
