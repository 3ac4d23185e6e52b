// Grapevine agents for the benchmark, run from the build output (dist/cmd/grapevine.js) so the
// figures are the product's. What they see comes from each agent's own event stream (GET /v1/events,
// subscribed as soon as the agent is up) plus one /v1/members snapshot for what happened before.
import { type ChildProcess, spawn } from 'node:child_process';
import type { AgentEvent, MemberView } from '../../src/agent/agent-api.js';
import { AGENT_NODE_FLAGS } from '../../src/demo/agent-command-line.js';
import { agentHost, type ClusterAdapter, killAll, onLines, type ProbeCounters } from './cluster-adapter.js';
import type { Observations } from './observations.js';
import { cpuSeconds } from './proc-usage.js';
import type { Tuning } from './types.js';

const GOSSIP_PORT = 7946;
const HTTP_PORT = 7947;

/** A counter summed over the running agents, and the agent with the most. */
interface CounterSum {
  total: number;
  most: number;
  at: string;
}

export class GrapevineCluster implements ClusterAdapter {
  readonly system = 'grapevine' as const;
  private readonly procs = new Map<number, ChildProcess>();
  private readonly streams = new Set<AbortController>();

  constructor(
    readonly obs: Observations,
    private readonly cli: string,
    private readonly probeIntervalMs: number,
    private readonly tuning: Tuning | undefined = undefined,
    private readonly nodeFlags: readonly string[] = [],
  ) {}

  name(i: number): string {
    return `g${i}`;
  }

  private url(i: number): string {
    return `http://${agentHost(i)}:${HTTP_PORT}`;
  }

  spawn(i: number): void {
    const host = agentHost(i);
    // A .ts entry (the harness's own test) runs through tsx; the benchmark itself runs dist/ with the
    // V8 flags the bin's shebang and the image's entrypoint give it (before 2026-11-28 21:50 UTC it
    // ran without them, which measured a heavier agent than the one shipped).
    const loader = this.cli.endsWith('.ts') ? ['--import', 'tsx'] : [];
    const args = [
      ...AGENT_NODE_FLAGS,
      ...this.nodeFlags,
      ...loader,
      this.cli,
      'agent',
      '--name',
      this.name(i),
      '--bind',
      `${host}:${GOSSIP_PORT}`,
    ];
    args.push('--http', `${host}:${HTTP_PORT}`, '--probe-interval-ms', String(this.probeIntervalMs));
    if (this.tuning?.suspicionMult !== undefined)
      args.push('--suspicion-mult', String(this.tuning.suspicionMult));
    if (this.tuning?.probeTimeoutMs !== undefined)
      args.push('--probe-timeout-ms', String(this.tuning.probeTimeoutMs));
    // Like Serf's -retry-join: agent 0 may not listen yet when the others start.
    if (i > 0) args.push('--join', `${agentHost(0)}:${GOSSIP_PORT}`, '--retry-join', 'true');
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.set(i, child);
    let subscribed = false;
    onLines(child.stdout, (line, at) => {
      if (line.includes('"joined the cluster"')) this.joined(i, line, at);
      if (subscribed || !line.includes('"agent started"')) return;
      subscribed = true;
      this.obs.readyAt.set(this.name(i), at);
      if (child.pid !== undefined) this.obs.cpuAtReadyS.set(this.name(i), cpuSeconds(child.pid));
      void this.subscribe(i);
    });
  }

  /** Where join time went: when agent i's first exchange completed, and what it learned then. */
  private joined(i: number, line: string, at: number): void {
    try {
      const members = (JSON.parse(line) as { members?: unknown }).members;
      this.obs.joinedAt.set(this.name(i), { at, members: typeof members === 'number' ? members : -1 });
    } catch {
      this.obs.problems.push(`${this.name(i)}: unreadable log line ${line.slice(0, 120)}`);
    }
  }

  /** Follows agent i's event stream, then takes one snapshot for what happened before it. */
  private async subscribe(i: number): Promise<void> {
    const self = this.name(i);
    const ctrl = new AbortController();
    this.streams.add(ctrl);
    try {
      const res = await fetch(`${this.url(i)}/v1/events`, { signal: ctrl.signal });
      if (!res.body) throw new Error('no event stream body');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      let snapshotTaken = false;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) throw new Error('the agent closed the stream');
        const at = Date.now();
        buf += value;
        for (let k = buf.indexOf('\n\n'); k >= 0; k = buf.indexOf('\n\n')) {
          const block = buf.slice(0, k);
          buf = buf.slice(k + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data) this.onEvent(self, JSON.parse(data) as AgentEvent, at);
        }
        if (!snapshotTaken) {
          // After the stream is live, so nothing falls between the snapshot and the stream.
          snapshotTaken = true;
          void this.snapshot(i);
        }
      }
    } catch (err) {
      // Aborted at the end of the run, or the agent died (kill -9 scenario); anything else is noted.
      if (
        !ctrl.signal.aborted &&
        this.procs.get(i)?.exitCode === null &&
        this.procs.get(i)?.signalCode === null
      )
        this.obs.problems.push(`${self}: event stream failed: ${(err as Error).message}`);
    }
  }

  private async snapshot(i: number): Promise<void> {
    const self = this.name(i);
    let members: MemberView[];
    try {
      members = (await (await fetch(`${this.url(i)}/v1/members`)).json()) as MemberView[];
    } catch (err) {
      this.obs.problems.push(`${self}: members snapshot failed: ${(err as Error).message}`);
      return;
    }
    for (const m of members) {
      // Only fill in what the stream has not reported yet.
      if (this.obs.sighting(self, m.name) === undefined)
        this.obs.member(self, m.name, m.state, m.lastChange || (this.obs.readyAt.get(self) ?? Date.now()));
    }
  }

  private onEvent(self: string, e: AgentEvent, at: number): void {
    if (e.kind === 'member') this.obs.member(self, e.member.name, e.member.state, at);
    else this.obs.userEvent(self, e.name, at);
  }

  pid(i: number): number {
    const pid = this.procs.get(i)?.pid;
    if (pid === undefined) throw new Error(`grapevine agent ${i} is not running`);
    return pid;
  }

  async fireEvent(i: number, name: string): Promise<void> {
    const res = await fetch(`${this.url(i)}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, payload: '' }),
    });
    if (!res.ok)
      throw new Error(`firing an event on ${this.name(i)}: HTTP ${res.status} ${await res.text()}`);
  }

  leave(i: number): void {
    this.procs.get(i)?.kill('SIGTERM');
  }

  async suspicionsRaised(): Promise<number> {
    return (await this.counter('grapevine_suspicions_raised_total')).total;
  }

  async probeCounters(): Promise<ProbeCounters> {
    const [refused, forward] = await this.counters([
      'grapevine_fallback_probes_refused_total',
      'grapevine_probes_brought_forward_total',
    ]);
    return { fallbackRefused: refused!.total, broughtForward: forward!.total };
  }

  async sessionsEvicted(): Promise<CounterSum> {
    return this.counter('grapevine_anti_entropy_evicted_total');
  }

  /** A counter of every running agent: the sum, and the agent with the most. */
  private async counter(metric: string): Promise<CounterSum> {
    return (await this.counters([metric]))[0]!;
  }

  /** Several counters of every running agent, from one scrape of each: per metric, as counter(). */
  private async counters(metrics: string[]): Promise<CounterSum[]> {
    const samples = metrics.map((m) => new RegExp(`^${m}(\\{[^}]*\\})? `));
    const sums = metrics.map(() => ({ total: 0, most: 0, at: '' }));
    for (const [i, child] of this.procs) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const lines = (await (await fetch(`${this.url(i)}/metrics`)).text()).split('\n');
      samples.forEach((sample, k) => {
        const line = lines.find((l) => sample.test(l));
        const v = line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
        const sum = sums[k]!;
        sum.total += v;
        if (v > sum.most) Object.assign(sum, { most: v, at: this.name(i) });
      });
    }
    return sums;
  }

  async stopAll(): Promise<void> {
    for (const s of this.streams) s.abort();
    await killAll(this.procs.values());
  }
}
