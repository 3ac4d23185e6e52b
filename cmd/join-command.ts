// `grapevine join ADDR...`: makes a running agent join through these addresses now (Serf's `join`).
// Exit 1 when none answered.
import type { Command } from 'commander';
import { MAX_JOIN_TIMEOUT_MS } from '../src/agent/http/control-api.js';
import {
  AgentClientError,
  type AgentFlags,
  clientFor,
  reportingFailures,
  withAgentOptions,
} from './agent-client.js';
import { integerArg } from './cli-args.js';
import type { CliIo } from './cli-io.js';

interface JoinFlags extends AgentFlags {
  timeoutMs: number;
}

export function registerJoin(program: Command, io: CliIo): void {
  const cmd = program
    .command('join')
    .description('Make the agent join the cluster through ADDR (HOST:PORT gossip addresses) now.')
    .argument('<addr...>', 'gossip address of a member, HOST:PORT')
    .option(
      '--timeout-ms <ms>',
      'how long the agent waits for the seeds to answer',
      integerArg(0, MAX_JOIN_TIMEOUT_MS),
      5_000,
    );
  withAgentOptions(cmd).action(async function (this: Command, addrs: string[], flags: JoinFlags) {
    const client = clientFor(this, flags);
    await reportingFailures(io, async () => {
      const r = await client.join(addrs, flags.timeoutMs);
      if (flags.json) io.out(`${JSON.stringify(r)}\n`);
      else for (const a of r.joined) io.out(`joined through ${a}\n`);
      if (r.joined.length === 0)
        throw new AgentClientError(
          `join failed: ${r.failed.map((f) => `${f.addr}: ${f.reason}`).join('; ')}`,
        );
      for (const f of r.failed) io.err(`grapevine: ${f.addr} did not answer: ${f.reason}\n`);
    });
  });
}
