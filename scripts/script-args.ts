// Command-line flags of the repository's scripts (benchmarks, investigations): node's parseArgs, but
// a mistake prints one line and the usage and exits 2 — a stack trace is for bugs, not for a typo —
// and --help prints the usage.
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Prints `error: message` (and the usage, when given) to stderr and exits 2. */
export function usageError(message: string, usage?: string): never {
  console.error(`error: ${message}${usage ? `\nusage: ${usage}` : ''}`);
  process.exit(2);
}

export function scriptArgs<T extends ParseArgsConfig>(
  usage: string,
  config: T,
): ReturnType<typeof parseArgs<T>> {
  const args = config.args ?? process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`usage: ${usage}`);
    process.exit(0);
  }
  try {
    return parseArgs(config);
  } catch (err) {
    return usageError((err as Error).message, usage);
  }
}
