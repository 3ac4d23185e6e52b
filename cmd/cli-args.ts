// Option parsers for commander: they throw InvalidArgumentError, which commander reports as a usage
// error (message + usage, exit 2) instead of a stack trace.
import { InvalidArgumentError } from 'commander';
import { memberNameProblem } from '../src/agent/wire/member-name.js';

export function integerArg(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^[-+]?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got '${value}'`);
    }
    return n;
  };
}

export function numberArg(
  min: number,
  max: number,
  opts: { exclusiveMin?: boolean } = {},
): (value: string) => number {
  return (value) => {
    const n = Number(value);
    const tooLow = opts.exclusiveMin ? n <= min : n < min;
    if (value.trim() === '' || !Number.isFinite(n) || tooLow || n > max) {
      const range = opts.exclusiveMin ? `greater than ${min} and at most ${max}` : `from ${min} to ${max}`;
      throw new InvalidArgumentError(`expected a number ${range}, got '${value}'`);
    }
    return n;
  };
}

/** A duration such as `500ms`, `5s` or `2m` (a bare number is seconds, as in Serf), in ms. */
export function durationArg(minMs: number, maxMs: number): (value: string) => number {
  const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000 };
  return (value) => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
    const ms = m ? Math.round(Number(m[1]) * units[m[2] ?? 's']!) : Number.NaN;
    if (!Number.isFinite(ms) || ms < minMs || ms > maxMs)
      throw new InvalidArgumentError(
        `expected a duration from ${minMs} ms to ${maxMs / 1000} s such as 500ms, 5s or 1m, got '${value}'`,
      );
    return ms;
  };
}

/** A member name, by the rule the agents apply (refused here rather than by the agent's 400). */
export function memberNameArg(value: string): string {
  const problem = memberNameProblem(value);
  if (problem !== null) throw new InvalidArgumentError(problem);
  return value;
}
