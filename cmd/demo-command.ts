// `grapevine demo`: a local cluster of real agents on 127.0.0.1 and a web page that shows it live.
// Runs until SIGINT/SIGTERM, then stops every agent process and exits 0.
import { type Command, CommanderError } from 'commander';
import { waitForConvergence } from '../src/demo/convergence-wait.js';
import { integerArg } from './cli-args.js';
import { type CliIo, EXIT_FAILURE } from './cli-io.js';

interface DemoFlags {
  nodes: number;
  port: number;
  host: string;
  directMail: boolean;
}

export const DEMO_MAX_NODES = 64;

export function registerDemo(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description(
      'Start a local cluster of real agents on 127.0.0.1 and a web page that shows it live (Ctrl-C stops it).',
    )
    .option(
      '--nodes <n>',
      'number of agents (each is a process of roughly 80-120 MB)',
      integerArg(1, DEMO_MAX_NODES),
      16,
    )
    .option('--port <p>', 'port of the web page (0: any free port)', integerArg(0, 65_535), 8080)
    .option('--host <addr>', 'address the web page listens on', '127.0.0.1')
    .option('--no-direct-mail', 'agents spread updates by rumor mongering alone (shows multi-hop spread)')
    .action(async (flags: DemoFlags) => {
      // Loaded here, not at the top: other subcommands should not pay for the demo's modules.
      const { startDemo } = await import('../src/demo/demo.js');
      const started = Date.now();
      let demo: Awaited<ReturnType<typeof startDemo>>;
      try {
        demo = await startDemo({
          nodes: flags.nodes,
          host: flags.host,
          port: flags.port,
          directMail: flags.directMail,
        });
      } catch (err) {
        fail(io, err);
      }
      io.out(`Grapevine demo: open ${demo.url}\nStarting ${flags.nodes} agents on 127.0.0.1 …\n`);
      const signalled = new Promise<NodeJS.Signals>((resolve) => {
        const onSignal = (sig: NodeJS.Signals) => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve(sig);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      const outcome = await Promise.race([
        demo.ready.then(
          () => ({ ready: true as const }),
          (error: unknown) => ({ ready: false as const, error }),
        ),
        signalled.then(() => null),
      ]);
      if (outcome?.ready) {
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        io.out(`${flags.nodes} agents started in ${secs} s; waiting for their views to agree …\n`);
        const stopWaiting = new AbortController();
        void signalled.then(() => stopWaiting.abort());
        const urls = demo.fleet.agents().map((a) => a.httpUrl ?? '');
        if (await waitForConvergence(urls, stopWaiting.signal)) {
          const at = ((Date.now() - started) / 1000).toFixed(1);
          io.out(
            `${flags.nodes} agents running, every view agrees (converged ${at} s after start). Press Ctrl-C to stop.\n`,
          );
        }
        await signalled;
      } else if (outcome && !outcome.ready) {
        io.err(`grapevine demo: ${message(outcome.error)}\n`);
        await demo.stop();
        throw new CommanderError(EXIT_FAILURE, 'grapevine.demo', message(outcome.error));
      }
      io.out('Stopping the agents …\n');
      await demo.stop();
      io.out('Stopped.\n');
    });
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One line on stderr and exit code 1 (runCli passes `grapevine.*` exit codes through). */
function fail(io: CliIo, err: unknown): never {
  io.err(`grapevine demo: ${message(err)}\n`);
  throw new CommanderError(EXIT_FAILURE, 'grapevine.demo', message(err));
}
