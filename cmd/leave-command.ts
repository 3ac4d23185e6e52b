// `grapevine leave`: asks the agent to announce its departure and stop.
import type { Command } from 'commander';
import { type AgentFlags, clientFor, reportingFailures, withAgentOptions } from './agent-client.js';
import type { CliIo } from './cli-io.js';

export function registerLeave(program: Command, io: CliIo): void {
  const cmd = program.command('leave').description('Make the agent leave the cluster gracefully and stop.');
  withAgentOptions(cmd).action(async function (this: Command, flags: AgentFlags) {
    const client = clientFor(this, flags);
    await reportingFailures(io, async () => {
      const answer = await client.leave();
      if (flags.json) io.out(`${JSON.stringify(answer)}\n`);
      else if (answer.status === 'already leaving') io.out(`agent at ${client.baseUrl} is already leaving\n`);
      else io.out(`agent at ${client.baseUrl} is leaving the cluster\n`);
    });
  });
}
