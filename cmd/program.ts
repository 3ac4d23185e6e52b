// Builds the `grapevine` command tree. Each subcommand lives in its own file and registers itself
// with `program.command(...)`, which inherits the usage-error handling configured here.
import { Command, CommanderError } from 'commander';
import { loadTagMatcher } from '../src/agent/base/tag-match.js';
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './cli-io.js';
import { registerCompletion } from './completion-command.js';
import { registerDemo } from './demo-command.js';
import { registerEvent } from './event-command.js';
import { registerForceLeave } from './force-leave-command.js';
import { registerInfo } from './info-command.js';
import { registerJoin } from './join-command.js';
import { registerKeys } from './keys-command.js';
import { registerKv } from './kv-command.js';
import { registerLeave } from './leave-command.js';
import { registerMembers } from './members-command.js';
import { registerMonitor } from './monitor-command.js';
import { registerOperator } from './operator-command.js';
import { registerQuery } from './query-command.js';
import { registerSimulate } from './simulate-command.js';
import { registerTags } from './tags-command.js';
import { registerVersion } from './version-command.js';

const AGENT_DESCRIPTION =
  'Run the gossip agent (one per Kubernetes node): membership, rumors, direct mail, anti-entropy.';

/**
 * The command tree for `argv`. The agent's options are generated from the config schema, whose
 * library takes most of a second to load; it is loaded only when `agent` is the command run (or
 * asked about), so client commands such as `members --json` start fast.
 */
export interface CliOptions {
  /** Ends `monitor` (tests run it in-process); by default SIGINT/SIGTERM do. */
  monitorStop?: AbortSignal;
}

export async function buildProgram(
  io: CliIo,
  argv: readonly string[] = [],
  options: CliOptions = {},
): Promise<Command> {
  const program = new Command('grapevine')
    .description('Membership gossip: SWIM/Lifeguard failure detection, rumor mongering and anti-entropy.')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .allowExcessArguments(false);
  const agent = program.command('agent').description(AGENT_DESCRIPTION);
  const wanted = argv[0] === 'help' ? argv[1] : argv[0];
  // `completion` lists every option, the agent's too.
  if (wanted === 'agent' || wanted === 'completion')
    (await import('./agent-command.js')).configureAgent(agent, io);
  // Their option parsers compile tag and name expressions (RE2), which only they load.
  if (wanted === 'members' || wanted === 'query') await loadTagMatcher();
  registerDemo(program, io);
  registerMembers(program, io);
  registerMonitor(program, io, options.monitorStop);
  registerInfo(program, io);
  registerJoin(program, io);
  registerTags(program, io);
  registerOperator(program, io);
  registerEvent(program, io);
  registerQuery(program, io);
  registerKv(program, io);
  registerLeave(program, io);
  registerForceLeave(program, io);
  registerKeys(program, io);
  registerSimulate(program, io);
  registerVersion(program, io);
  registerCompletion(program, io);
  pointToHelp(program);
  return program;
}

/**
 * After a usage error, every command prints one pointer to its own --help instead of the whole help
 * text (which buried the one line that said what was wrong).
 */
function pointToHelp(cmd: Command, path: string[] = []): void {
  const names = [...path, cmd.name()];
  cmd.showHelpAfterError(`Run '${names.join(' ')} --help' for usage.`);
  for (const sub of cmd.commands) pointToHelp(sub, names);
}

/** Parses and runs; returns the process exit code (never throws for user mistakes). */
export async function runCli(argv: readonly string[], io: CliIo, options: CliOptions = {}): Promise<number> {
  const program = await buildProgram(io, argv, options);
  if (argv.length === 0) {
    io.err(program.helpInformation());
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Our own failures carry their exit code; commander's usage errors all mean "usage".
      if (err.code.startsWith('grapevine.')) return err.exitCode;
      // Help and version are "errors" to commander's control flow only.
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.help' ||
        err.code === 'commander.version'
      )
        return EXIT_OK;
      return EXIT_USAGE;
    }
    io.err(`grapevine: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT_FAILURE;
  }
}
