// Option parsers for commander: they throw InvalidArgumentError, which commander reports as a usage
// error (message + usage, exit 2) instead of a stack trace.
import { InvalidArgumentError } from 'commander';

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
