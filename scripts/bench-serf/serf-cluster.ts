// Serf agents (Debian's `serf`, HashiCorp memberlist inside) for the benchmark. What they see is read
// from their log lines as they arrive: memberlist/serf log a join, failure or leave the moment they
// apply it (the agent's event handlers get them coalesced, about 1 s later, so those are not used).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { agentHost, type ClusterAdapter, killAll, onLines } from './cluster-adapter.js';
import type { Observations, SeenState } from './observations.js';
import type { SerfProfile } from './types.js';

const execFileP = promisify(execFile);
const GOSSIP_PORT = 7946;
const RPC_PORT = 7373;

const MEMBER_LINE = /serf: EventMember(Join|Failed|Leave): (\S+) /;
const STATE: Record<string, SeenState> = { Join: 'alive', Failed: 'dead', Leave: 'left' };
const USER_EVENT_LINE = /agent: Received event: user-event: (\S+)/;
const SUSPECT_LINE = /memberlist: Suspect \S+ has failed/;

export class SerfCluster implements ClusterAdapter {
  readonly system = 'serf' as const;
  private readonly procs = new Map<number, ChildProcess>();

  constructor(
    readonly obs: Observations,
    private readonly binary = 'serf',
    private readonly profile: SerfProfile = 'lan',
  ) {}

  name(i: number): string {
    return `s${i}`;
  }

  spawn(i: number): void {
    const self = this.name(i);
    const host = agentHost(i);
    // -profile lan (the default here) is memberlist's DefaultLANConfig: probe interval 1 s, probe
    // timeout 500 ms, suspicion multiplier 4, gossip interval 200 ms, push/pull every 30 s. Serf's
    // agent config has no key for the probe interval, so the benchmark runs Grapevine at 1 s to
    // match; the trade-off mode also tries the `local` and `wan` profiles.
    const args = [
      'agent',
      '-node',
      self,
      '-bind',
      `${host}:${GOSSIP_PORT}`,
      '-rpc-addr',
      `${host}:${RPC_PORT}`,
    ];
    args.push('-profile', this.profile, '-log-level', 'info');
    if (i > 0) args.push('-retry-join', `${agentHost(0)}:${GOSSIP_PORT}`, '-retry-interval', '1s');
    const child = spawn(this.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.procs.set(i, child);
    const onLine = (line: string, at: number) => {
      const m = MEMBER_LINE.exec(line);
      if (m) {
        const state = STATE[m[1]!]!;
        if (m[2] === self && state === 'alive' && !this.obs.readyAt.has(self)) this.obs.readyAt.set(self, at);
        this.obs.member(self, m[2]!, state, at);
        return;
      }
      const e = USER_EVENT_LINE.exec(line);
      if (e) this.obs.userEvent(self, e[1]!, at);
      else if (SUSPECT_LINE.test(line)) this.obs.suspicionsRaised++;
    };
    onLines(child.stdout, onLine);
    onLines(child.stderr, onLine);
  }

  pid(i: number): number {
    const pid = this.procs.get(i)?.pid;
    if (pid === undefined) throw new Error(`serf agent ${i} is not running`);
    return pid;
  }

  async fireEvent(i: number, name: string): Promise<void> {
    await execFileP(this.binary, [
      'event',
      '-rpc-addr',
      `${agentHost(i)}:${RPC_PORT}`,
      '-coalesce=false',
      name,
    ]);
  }

  leave(i: number): void {
    // A Serf agent leaves gracefully on SIGINT (skip_leave_on_interrupt defaults to false).
    this.procs.get(i)?.kill('SIGINT');
  }

  async suspicionsRaised(): Promise<number> {
    return this.obs.suspicionsRaised;
  }

  async stopAll(): Promise<void> {
    await killAll(this.procs.values());
  }
}
