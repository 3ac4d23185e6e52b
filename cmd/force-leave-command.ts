// `grapevine force-leave NAME`: marks a failed (dead) member `left`, so every agent reaps it after
// deadReapMs (Serf's `force-leave`). The agent refuses itself, unknown, alive and suspect members:
// exit 1 with its reason.
import type { Command } from 'commander';
import { type AgentFlags, clientFor, reportingFailures, withAgentOptions } from './agent-client.js';
import { memberNameArg } from './cli-args.js';
import type { CliIo } from './cli-io.js';

export function registerForceLeave(program: Command, io: CliIo): void {
  const cmd = program
    .command('force-leave')
    .description('Mark a failed (dead) member as left, so the cluster forgets it (reaped after deadReapMs).')
    .argument('<name>', 'name of the failed member', memberNameArg);
  withAgentOptions(cmd).action(async function (this: Command, name: string, flags: AgentFlags) {
    const client = clientFor(this, flags);
    await reportingFailures(io, async () => {
      const r = await client.forceLeave(name);
      if (flags.json) io.out(`${JSON.stringify(r)}\n`);
      else if (r.previous === 'left') io.out(`${r.name} has already left\n`);
      else io.out(`${r.name} marked left (was dead); the cluster will reap it\n`);
    });
  });
}
