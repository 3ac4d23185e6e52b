// `grapevine members`: the members a running agent knows, as a table or JSON.
import { type Command, Option } from 'commander';
import type { MemberView } from '../src/agent/agent-api.js';
import { RESERVED_TAG_PREFIX } from '../src/agent/http/control-api.js';
import { MEMBER_STATES, type MemberState } from '../src/agent/wire/messages.js';
import { type AgentFlags, clientFor, reportingFailures, withAgentOptions } from './agent-client.js';
import type { CliIo } from './cli-io.js';
import { type MemberFilter, matches, nameRegexArg, tagFilterArg } from './member-filter.js';

interface MembersFlags extends AgentFlags {
  state?: MemberState[];
  name?: RegExp;
  tag?: MemberFilter['tags'];
  detailed?: boolean;
}

export function registerMembers(program: Command, io: CliIo): void {
  const cmd = program.command('members').description('List the members the agent knows, with their state.');
  withAgentOptions(cmd)
    .addOption(new Option('--state <state...>', 'only members in these states').choices(MEMBER_STATES))
    .option('--name <regex>', 'only members whose whole name matches REGEX', nameRegexArg)
    .option(
      '--tag <key=regex>',
      'only members whose tag KEY matches REGEX (repeatable: all must match)',
      tagFilterArg,
    )
    .option('--detailed', 'add the agent version and wire protocol of each member, and its generation')
    .action(async function (this: Command, flags: MembersFlags) {
      const client = clientFor(this, flags);
      await reportingFailures(io, async () => {
        const filter: MemberFilter = { name: flags.name, tags: flags.tag ?? [] };
        const members = (await client.members(flags.state)).filter((m) => matches(m, filter));
        io.out(
          flags.json
            ? `${JSON.stringify(members)}\n`
            : formatMembers(members, Date.now(), flags.detailed === true),
        );
      });
    });
}

/** An aligned table; AGE is the time since the member's last state change ("-" when unknown). */
export function formatMembers(members: readonly MemberView[], now: number, detailed = false): string {
  const head = ['NAME', 'ADDRESS', 'STATE', 'INC', 'AGE'];
  const rows = [
    detailed ? [...head, 'VERSION', 'PROTOCOL', 'GENERATION', 'TAGS'] : [...head, 'TAGS'],
    ...members.map((m) => {
      const cells = [
        m.name,
        m.addr,
        m.state,
        String(m.incarnation),
        m.lastChange > 0 ? formatAge(now - m.lastChange) : '-',
      ];
      if (detailed)
        cells.push(
          m.tags[`${RESERVED_TAG_PREFIX}version`] ?? '-',
          m.tags[`${RESERVED_TAG_PREFIX}protocol`] ?? '-',
          String(m.generation),
        );
      return [...cells, formatTags(m.tags)];
    }),
  ];
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((r) => (r[col] ?? '').length))) ?? [];
  const lines = rows.map((r) =>
    r
      .map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}

/** kubectl-style: 45s, 12m, 3h, 5d. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 120 * 60) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** User tags only: the agent's own version tags are columns of --detailed. */
function formatTags(tags: Record<string, string>): string {
  const entries = Object.entries(tags)
    .filter(([k]) => !k.startsWith(RESERVED_TAG_PREFIX))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}
