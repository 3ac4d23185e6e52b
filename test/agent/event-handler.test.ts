// --event-handler as real agent processes: one run per membership change and user event, the event
// in GRAPEVINE_* variables and the payload on stdin; a run over its timeout is killed and counted.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { AgentProcess, metric } from '../support/agent-process.js';
import { eventually } from '../support/process-cluster.js';
import { runGrapevine } from '../support/run-cli.js';

const FAST = ['--probe-interval-ms', '300', '--probe-timeout-ms', '150', '--gossip-interval-ms', '60'];
const base = (name: string) => ['--name', name, '--bind', '127.0.0.1:0', '--http', '127.0.0.1:0', ...FAST];

/** Each run writes its GRAPEVINE_* variables, a '---' line and its stdin to a file of its own. */
function recordingHandler(dir: string): string {
  return `f="${dir}/run-$$"; { env | grep '^GRAPEVINE_' | sort; echo ---; cat; } > "$f.tmp" && mv "$f.tmp" "$f"`;
}

function runs(dir: string): Array<{ env: Record<string, string>; stdin: string }> {
  return readdirSync(dir)
    .filter((f) => f.startsWith('run-') && !f.endsWith('.tmp'))
    .map((f) => {
      const [head, stdin = ''] = readFileSync(join(dir, f), 'utf8').split('---\n');
      const env = Object.fromEntries(
        (head ?? '')
          .trim()
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
      );
      return { env, stdin };
    });
}

describe('grapevine agent --event-handler (real processes)', function () {
  this.timeout(60_000);
  const agents: AgentProcess[] = [];
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gv-handler-'));
  });
  after(async () => {
    for (const a of agents) await a.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the command per member change and user event, with env and stdin', async () => {
    const a1 = await AgentProcess.start([...base('h1'), '--event-handler', recordingHandler(dir)]);
    agents.push(a1);
    const a2 = await AgentProcess.start([...base('h2'), '--join', a1.gossipAddr]);
    agents.push(a2);
    const joined = () => runs(dir).find((r) => r.env.GRAPEVINE_MEMBER_NAME === 'h2');
    expect(await eventually(async () => joined() !== undefined, 15_000)).to.equal(true);
    const j = joined()!;
    expect(j.env).to.include({
      GRAPEVINE_EVENT: 'member-alive',
      GRAPEVINE_MEMBER_ADDR: a2.gossipAddr,
      GRAPEVINE_MEMBER_STATE: 'alive',
      GRAPEVINE_SELF_NAME: 'h1',
      GRAPEVINE_SELF_ADDR: a1.gossipAddr,
    });
    expect(j.stdin).to.match(new RegExp(`^h2\\t${a2.gossipAddr}\\talive\\t.*grapevine/protocol=1.*\\n$`));

    expect((await runGrapevine('event', 'deploy', 'v2 "quoted"\nline', '--agent', a2.url)).code).to.equal(0);
    const user = () => runs(dir).find((r) => r.env.GRAPEVINE_EVENT === 'user');
    expect(await eventually(async () => user() !== undefined, 15_000)).to.equal(true);
    expect(user()!.env).to.include({ GRAPEVINE_USER_EVENT: 'deploy', GRAPEVINE_ORIGIN: 'h2' });
    expect(user()!.stdin).to.equal('v2 "quoted"\nline');
    expect(await metric(a1, 'grapevine_event_handler_runs_total', 'result="ok"')).to.be.greaterThan(1);
    expect((await a1.json<{ config: { eventHandler: string } }>('/v1/info')).config.eventHandler).to.equal(
      recordingHandler(dir),
    );
  });

  it('kills a run that exceeds --event-handler-timeout-ms and counts it; failures are one log line', async () => {
    const slow = await AgentProcess.start([
      ...base('slow'),
      '--event-handler',
      'if [ "$GRAPEVINE_USER_EVENT" = slow ]; then sleep 30; else echo boom >&2; exit 3; fi',
      '--event-handler-timeout-ms',
      '300',
    ]);
    agents.push(slow);
    expect((await runGrapevine('event', 'slow', '--agent', slow.url)).code).to.equal(0);
    expect((await runGrapevine('event', 'fail', '--agent', slow.url)).code).to.equal(0);
    expect(
      await eventually(
        async () => (await metric(slow, 'grapevine_event_handler_runs_total', 'result="timeout"')) === 1,
        10_000,
      ),
    ).to.equal(true);
    const failed = await slow.waitForLog(
      (l) => l.msg === 'event handler failed' && l.result === 'failed',
      10_000,
    );
    expect(failed).to.include({ exitCode: 3, stderr: 'boom' });
  });
});
