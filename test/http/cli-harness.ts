// Runs the agent-client commands in-process as cmd/program.ts's runCli does (same program settings,
// same error handling, including its 'grapevine.*' exit codes), capturing what they print.
import { Command, CommanderError } from 'commander';
import { type CliIo, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../../cmd/cli-io.js';
import { registerEvent } from '../../cmd/event-command.js';
import { registerKv } from '../../cmd/kv-command.js';
import { registerLeave } from '../../cmd/leave-command.js';
import { registerMembers } from '../../cmd/members-command.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export async function runClient(...argv: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
  };
  const program = new Command('grapevine')
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .allowExcessArguments(false);
  registerMembers(program, io);
  registerEvent(program, io);
  registerKv(program, io);
  registerLeave(program, io);
  let code = EXIT_OK;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code.startsWith('grapevine.')) return { code: e.exitCode, out, err };
      code = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(e.code)
        ? EXIT_OK
        : EXIT_USAGE;
    } else {
      io.err(`grapevine: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      code = EXIT_FAILURE;
    }
  }
  return { code, out, err };
}
