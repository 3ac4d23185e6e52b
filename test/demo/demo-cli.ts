// Runs `demo …` through registerDemo in a program configured like cmd/program.ts, as a real process,
// so the test can send it SIGINT. (Once program.ts registers demo, cmd/grapevine.ts does the same.)
import { Command, CommanderError } from 'commander';
import { processIo } from '../../cmd/cli-io.js';
import { registerDemo } from '../../cmd/demo-command.js';

const program = new Command('grapevine')
  .exitOverride()
  .showHelpAfterError()
  .configureOutput({ writeOut: processIo.out, writeErr: processIo.err });
registerDemo(program, processIo);
try {
  await program.parseAsync(process.argv.slice(2), { from: 'user' });
  process.exitCode = 0;
} catch (err) {
  if (!(err instanceof CommanderError)) throw err;
  process.exitCode = err.code.startsWith('grapevine.') ? err.exitCode : 2;
}
