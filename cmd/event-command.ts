// `grapevine event NAME [PAYLOAD]`: fires a user event into the cluster through the agent.
import type { Command } from 'commander';
import { type AgentFlags, clientFor, reportingFailures, withAgentOptions } from './agent-client.js';
import type { CliIo } from './cli-io.js';

export function registerEvent(program: Command, io: CliIo): void {
  const cmd = program
    .command('event')
    .description('Send a user event to every member (the payload is UTF-8 text).')
    .argument('<name>', 'event name')
    .argument('[payload]', 'event payload', '');
  withAgentOptions(cmd).action(async function (
    this: Command,
    name: string,
    payload: string,
    flags: AgentFlags,
  ) {
    const client = clientFor(this, flags);
    await reportingFailures(io, async () => {
      const sent = await client.fireEvent(name, payload);
      io.out(
        flags.json ? `${JSON.stringify(sent)}\n` : `event '${name}' sent (${sent.payloadBytes} bytes)\n`,
      );
    });
  });
}
