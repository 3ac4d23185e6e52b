// `--name N` from the command line of a benchmark script: a non-negative integer, or the fallback.
import { usageError } from './script-args.js';

export function intOption(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) usageError(`--${name} needs a non-negative integer`);
  return v;
}
