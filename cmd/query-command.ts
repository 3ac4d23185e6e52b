// `grapevine query NAME [PAYLOAD]`: asks the members (all, or those passing --node/--tag filters) and
// prints their acks and responses once the timeout has passed, as Serf's `query` does.
import { type Command, InvalidArgumentError } from 'commander';
import { anchoredRegex } from '../src/agent/base/tag-match.js';
import {
  DEFAULT_QUERY_TIMEOUT_MS,
  MAX_QUERY_TIMEOUT_MS,
  type QueryResult,
} from '../src/agent/http/query-api.js';
import { type AgentFlags, clientFor, reportingFailures, withAgentOptions } from './agent-client.js';
import { durationArg } from './cli-args.js';
import type { CliIo } from './cli-io.js';

interface QueryFlags extends AgentFlags {
  node: string[];
  tag: Record<string, string>;
  timeout: number;
  ack: boolean;
}

/** Repeatable `--tag KEY=REGEX`; the expression is checked here so a typo is a usage error. */
function tagArg(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`expected KEY=REGEX, got '${value}'`);
  const key = value.slice(0, eq);
  const pattern = value.slice(eq + 1);
  try {
    anchoredRegex(pattern);
  } catch (err) {
    throw new InvalidArgumentError(
      `--tag ${key}: invalid regular expression '${pattern}' (${(err as Error).message})`,
    );
  }
  return { ...previous, [key]: pattern };
}

export function registerQuery(program: Command, io: CliIo): void {
  const cmd = program
    .command('query')
    .description(
      "Ask the members a question: each one passing the filters answers with its event handler's output.",
    )
    .argument('<name>', 'query name')
    .argument('[payload]', 'query payload (UTF-8 text)', '')
    .option('--node <name>', 'only this member (repeatable)', (v: string, p: string[] = []) => [...p, v], [])
    .option(
      '--tag <key=regex>',
      'only members whose tag matches the whole expression (repeatable)',
      tagArg,
      {},
    )
    .option(
      '--timeout <duration>',
      'how long to collect answers (e.g. 500ms, 5s, 1m)',
      durationArg(1, MAX_QUERY_TIMEOUT_MS),
      DEFAULT_QUERY_TIMEOUT_MS,
    )
    .option('--no-ack', 'do not ask members to acknowledge receipt');
  withAgentOptions(cmd).action(async function (
    this: Command,
    name: string,
    payload: string,
    flags: QueryFlags,
  ) {
    const client = clientFor(this, flags);
    await reportingFailures(io, async () => {
      const r = await client.query({
        name,
        payload,
        nodes: flags.node,
        tags: flags.tag,
        ack: flags.ack,
        timeoutMs: flags.timeout,
      });
      io.out(flags.json ? `${JSON.stringify(r)}\n` : formatQueryResult(r, flags.ack));
    });
  });
}

export function formatQueryResult(r: QueryResult, ack: boolean): string {
  const lines: string[] = [];
  for (const a of r.acks) lines.push(`ack from ${a}`);
  for (const x of r.responses) lines.push(`response from ${x.from}: ${JSON.stringify(x.payload)}`);
  const acks = ack ? `${r.acks.length} ack${r.acks.length === 1 ? '' : 's'}, ` : '';
  const n = r.responses.length;
  lines.push(`query '${r.name}': ${acks}${n} response${n === 1 ? '' : 's'} within ${r.timeoutMs / 1000} s`);
  return `${lines.join('\n')}\n`;
}
