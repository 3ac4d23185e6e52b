// `grapevine agent`: the DaemonSet process. Config from flags > environment > file > defaults;
// SIGTERM/SIGINT leave the cluster gracefully; the config file is watched for hot reload.
import { type Command, CommanderError } from 'commander';
import type { Agent } from '../src/agent/agent.js';
import { addAgentOptions } from '../src/agent/config/agent-flags.js';
import { ConfigError } from '../src/agent/config/engine-schema.js';
import { StartupError } from '../src/agent/startup-error.js';
import { KeyringError } from '../src/agent/wire/keyring.js';
import { type CliIo, EXIT_FAILURE, EXIT_USAGE } from './cli-io.js';
import { logDestination } from './log-format.js';

/** Startup failures a user can fix, as one line (no stack trace). */
function userFacing(err: unknown): { line: string; code: number } | null {
  if (err instanceof ConfigError || err instanceof KeyringError)
    return { line: err.message, code: EXIT_USAGE };
  if (err instanceof StartupError) return { line: err.message, code: EXIT_FAILURE };
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EADDRINUSE' || e?.code === 'EADDRNOTAVAIL' || e?.code === 'EACCES') {
    return { line: `cannot bind: ${e.message}`, code: EXIT_FAILURE };
  }
  if (e?.code === 'ENOENT' || e?.code === 'EISDIR') return { line: e.message, code: EXIT_USAGE };
  return null;
}

/** Adds the agent's options (generated from the config schema) and action to the `agent` command. */
export function configureAgent(cmd: Command, io: CliIo): void {
  addAgentOptions(cmd).action(async (flags: Record<string, unknown>) => {
    const env = process.env;
    // Loaded here, not at the top: other subcommands should not pay for the agent's start-up.
    const [{ Agent }, { loadAgentConfig, configFileOf, loadConfigFileParser }, { default: pino }] =
      await Promise.all([
        import('../src/agent/agent.js'),
        import('../src/agent/config/load-agent-config.js'),
        import('pino'),
      ]);
    if (configFileOf(flags, env)) await loadConfigFileParser();
    const load = () => loadAgentConfig({ flags, env });
    let agent: Agent;
    try {
      const { config, configFile } = load();
      const logger = pino(
        { level: config.logLevel, base: { node: config.name } },
        logDestination(config.logFormat ?? 'auto') ?? pino.destination(1),
      );
      agent = await Agent.start({
        config,
        logger,
        configFile,
        reloadConfig: () => load().config,
        dnsServers: env.GRAPEVINE_DNS_SERVERS?.split(',').filter(Boolean),
      });
    } catch (err) {
      const known = userFacing(err);
      if (!known) throw err;
      io.err(`grapevine: ${known.line}\n`);
      throw new CommanderError(known.code, 'grapevine.startup', known.line);
    }
    const stop = (signal: string) => void agent.shutdown(signal);
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    await agent.stopped;
    if (agent.failure) {
      io.err(`grapevine: ${agent.failure.message}\n`);
      throw new CommanderError(EXIT_FAILURE, 'grapevine.startup', agent.failure.message);
    }
  });
}
