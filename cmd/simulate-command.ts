// `grapevine simulate`: runs one simulator scenario and prints its report.
import { type Command, Option } from 'commander';
import type { ScenarioName, SimReport } from '../src/agent/sim/scenarios.js';
import { integerArg, numberArg } from './cli-args.js';
import type { CliIo } from './cli-io.js';

interface SimulateFlags {
  nodes: number;
  fanout: number;
  loss: number;
  seed: number;
  scenario: ScenarioName;
  duration?: number;
  partitionS: number;
  divergent: number;
  keys: number;
  directMail: boolean;
  json?: boolean;
}

// Mirrors DEFAULT_SCENARIO_OPTIONS / SCENARIOS in sim/scenarios.ts, which is loaded only when the
// command runs (other subcommands should not pay for loading the simulator and the core).
const SCENARIO_NAMES: readonly ScenarioName[] = ['rumor', 'failure', 'partition', 'antientropy'];
const d = { seed: 1, fanout: 3, loss: 0, partitionS: 20, keys: 10_000, divergent: 1 };

export function registerSimulate(program: Command, io: CliIo): void {
  program
    .command('simulate')
    .description(
      'Run thousands of real gossip nodes on a virtual clock and report spread, load and detection.',
    )
    .requiredOption('--nodes <n>', 'number of nodes', integerArg(1, 100_000))
    .option('--fanout <f>', 'peers per rumor push (gossipFanout)', integerArg(1, 64), d.fanout)
    .option('--loss <p>', 'datagram loss probability', numberArg(0, 1), d.loss)
    .option('--seed <s>', 'random seed (same seed, same result)', integerArg(0, 0xffff_ffff), d.seed)
    .addOption(
      new Option('--scenario <name>', 'what to measure')
        .choices(SCENARIO_NAMES)
        .default('rumor' as ScenarioName),
    )
    .option(
      '--duration <s>',
      'virtual seconds to run (default: rumor 30, failure 60, partition 62 + partition-s, antientropy 30)',
      numberArg(0, 86_400, { exclusiveMin: true }),
    )
    .option(
      '--partition-s <s>',
      'partition: seconds the halves stay apart',
      numberArg(0, 86_400, { exclusiveMin: true }),
      d.partitionS,
    )
    .option(
      '--keys <m>',
      'antientropy: key/value entries every node holds',
      integerArg(1, 10_000_000),
      d.keys,
    )
    .option(
      '--divergent <k>',
      'antientropy: entries newer on one node only',
      integerArg(1, 10_000_000),
      d.divergent,
    )
    .option('--no-direct-mail', 'disable direct mail of local updates (measure rumor mongering alone)')
    .option('--json', 'print one JSON object')
    .action(async function (this: Command, flags: SimulateFlags) {
      if (flags.scenario === 'antientropy' && flags.divergent > flags.keys) {
        this.error(`error: --divergent (${flags.divergent}) cannot exceed --keys (${flags.keys})`, {
          exitCode: 2,
        });
      }
      // Loaded here: the schema library is not needed by the other subcommands.
      const [{ runScenario }, { ConfigError }] = await Promise.all([
        import('../src/agent/sim/scenarios.js'),
        import('../src/agent/config/engine-schema.js'),
      ]);
      let report: SimReport;
      try {
        report = runScenario({
          scenario: flags.scenario,
          nodes: flags.nodes,
          seed: flags.seed,
          fanout: flags.fanout,
          loss: flags.loss,
          durationS: flags.duration,
          partitionS: flags.partitionS,
          keys: flags.keys,
          divergent: flags.divergent,
          engine: flags.directMail ? {} : { directMail: { enabled: false } },
        });
      } catch (err) {
        // Settings the engine schema rejects are the user's mistake, not a crash.
        if (err instanceof ConfigError || err instanceof RangeError)
          this.error(`error: ${err.message}`, { exitCode: 2 });
        throw err;
      }
      io.out(flags.json ? `${JSON.stringify(report)}\n` : formatReport(report));
    });
}

function formatReport(r: SimReport): string {
  const rows = Object.entries(r).filter(([, v]) => v !== null);
  const width = Math.max(...rows.map(([k]) => k.length));
  return `${rows.map(([k, v]) => `${k.padEnd(width)}  ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join('\n')}\n`;
}
