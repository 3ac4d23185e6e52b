// `grapevine tags set KEY=VALUE... | delete KEY...`: changes a running agent's tags; the change
// spreads as a membership update (a new incarnation). It lasts until the agent restarts or its config
// file's `tags` change.
import { type Command, InvalidArgumentError } from 'commander';
import { type AgentFlags, clientFor, reportingFailures, withAgentOptions } from './agent-client.js';
import type { CliIo } from './cli-io.js';

function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected KEY=VALUE, got '${value}'`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export function registerTags(program: Command, io: CliIo): void {
  const tags = program
    .command('tags')
    .description("Change the agent's tags at run time (spread to every member).");
  const print = (flags: AgentFlags, result: Record<string, string>) => {
    if (flags.json) io.out(`${JSON.stringify(result)}\n`);
    else
      io.out(
        `tags now: ${
          Object.entries(result)
            .map(([k, v]) => `${k}=${v}`)
            .join(', ') || '-'
        }\n`,
      );
  };
  const set = tags
    .command('set')
    .description('Set tags: KEY=VALUE...')
    .argument('<key=value...>', 'tags to set', (v: string, prev?: Record<string, string>) =>
      keyValue(v, prev),
    );
  withAgentOptions(set).action(async function (
    this: Command,
    pairs: Record<string, string>,
    flags: AgentFlags,
  ) {
    const client = clientFor(this, flags);
    await reportingFailures(io, async () => print(flags, await client.updateTags(pairs, [])));
  });
  const del = tags
    .command('delete')
    .description('Delete tags: KEY...')
    .argument('<key...>', 'tags to delete');
  withAgentOptions(del).action(async function (this: Command, keys: string[], flags: AgentFlags) {
    const client = clientFor(this, flags);
    await reportingFailures(io, async () => print(flags, await client.updateTags({}, keys)));
  });
}
