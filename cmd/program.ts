// Builds the `grapevine` command tree. Each subcommand lives in its own file and registers itself
// with `program.command(...)`, which inherits the usage-error handling configured here.
import { Command, CommanderError } from 'commander';
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './cli-io.js';
import { registerSimulate } from './simulate-command.js';

export function buildProgram(io: CliIo): Command {
  const program = new Command('grapevine')
    .description('Membership gossip: SWIM/Lifeguard failure detection, rumor mongering and anti-entropy.')
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .allowExcessArguments(false);
  registerSimulate(program, io);
  return program;
}

/** Parses and runs; returns the process exit code (never throws for user mistakes). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  if (argv.length === 0) {
    io.err(program.helpInformation());
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
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
