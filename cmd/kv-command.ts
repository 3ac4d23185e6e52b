// `grapevine kv get|put|del`: the cluster-wide key/value map, through the agent.
import type { Command } from 'commander';
import {
  AgentClientError,
  type AgentFlags,
  clientFor,
  reportingFailures,
  withAgentOptions,
} from './agent-client.js';
import type { CliIo } from './cli-io.js';

const SUBCOMMANDS = ['get', 'put', 'del', 'list'];

export function registerKv(program: Command, io: CliIo): void {
  const kv = program
    .command('kv')
    .description('Read and write the replicated key/value map.')
    .argument('[command]')
    // Without this, `grapevine kv` alone would print help and count as success.
    .action(function (this: Command, sub: string | undefined) {
      const what = sub === undefined ? 'missing kv command' : `unknown kv command '${sub}'`;
      this.error(`error: ${what} (expected ${SUBCOMMANDS.join(', ')})`, { exitCode: 2 });
    });

  const get = kv.command('get').description('Print the value of KEY.').argument('<key>');
  withAgentOptions(get).action(async function (this: Command, key: string, flags: AgentFlags) {
    const client = clientFor(this, flags);
    await reportingFailures(io, async () => {
      const value = await client.kvGet(key);
      if (value === undefined) throw new AgentClientError(`key '${key}' not found`);
      const text = new TextDecoder().decode(value);
      if (flags.json) {
        const valueBase64 = Buffer.from(value).toString('base64');
        io.out(`${JSON.stringify({ key, value: text, valueBase64 })}\n`);
      } else io.out(text.endsWith('\n') || text === '' ? text : `${text}\n`);
    });
  });

  const put = kv
    .command('put')
    .description('Set KEY to VALUE (UTF-8 text).')
    .argument('<key>')
    .argument('<value>');
  withAgentOptions(put).action(async function (this: Command, key: string, value: string, flags: AgentFlags) {
    const client = clientFor(this, flags);
    await reportingFailures(io, async () => {
      const bytes = new TextEncoder().encode(value);
      await client.kvPut(key, bytes);
      const json = JSON.stringify({ key, bytes: bytes.length });
      io.out(flags.json ? `${json}\n` : `stored '${key}' (${bytes.length} bytes)\n`);
    });
  });

  const list = kv
    .command('list')
    .description('List the keys (with sizes and writers) that start with PREFIX, in key order.')
    .argument('[prefix]', 'key prefix', '');
  withAgentOptions(list).action(async function (this: Command, prefix: string, flags: AgentFlags) {
    const client = clientFor(this, flags);
    await reportingFailures(io, async () => {
      const entries = await client.kvList(prefix);
      if (flags.json) io.out(`${JSON.stringify(entries)}\n`);
      else
        for (const e of entries)
          io.out(`${e.key}\t${e.bytes} B\t${e.writer}\t${new Date(e.at).toISOString()}\n`);
    });
  });

  const del = kv.command('del').description('Delete KEY.').argument('<key>');
  withAgentOptions(del).action(async function (this: Command, key: string, flags: AgentFlags) {
    const client = clientFor(this, flags);
    await reportingFailures(io, async () => {
      if (!(await client.kvDelete(key))) throw new AgentClientError(`key '${key}' not found`);
      io.out(flags.json ? `${JSON.stringify({ key, deleted: true })}\n` : `deleted '${key}'\n`);
    });
  });
}
