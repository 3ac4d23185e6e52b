// The operator flags the chart exposes as `operator.flags.<camelCase>` values, read from the CLI's own
// definition (cmd/operator-command.ts): names, defaults and descriptions are never copied by hand.
// The Deployment renders each value back as `--<kebab-case>=<value>`.
import { Command, type Option } from 'commander';
import { registerOperator } from '../../cmd/operator-command.js';

/**
 * The flags a user tunes through values. Left out on purpose, because the chart sets them itself:
 * --kubeconfig (in-cluster), --namespace (operator.watchNamespaces), --http (operator.port),
 * --identity (POD_NAME) and --leader-election-namespace (POD_NAMESPACE), --no-leader-elect.
 */
export const FLAG_VALUES = [
  'leaderElectionId',
  'leaseDurationMs',
  'renewDeadlineMs',
  'retryPeriodMs',
  'statusIntervalMs',
  'workers',
  'logLevel',
] as const;

export interface FlagValue {
  key: (typeof FLAG_VALUES)[number];
  flag: string;
  description: string;
  default: string | number;
  integer: boolean;
}

function operatorOptions(): readonly Option[] {
  const program = new Command();
  registerOperator(program, { out: () => {}, err: () => {} });
  const cmd = program.commands.find((c) => c.name() === 'operator');
  if (!cmd) throw new Error('cmd/operator-command.ts no longer registers `operator`');
  return cmd.options;
}

export function operatorFlagValues(): FlagValue[] {
  const options = operatorOptions();
  return FLAG_VALUES.map((key) => {
    const o = options.find((opt) => opt.attributeName() === key);
    if (!o?.long) throw new Error(`the operator has no flag for values key operator.flags.${key}`);
    const def = o.defaultValue as unknown;
    if (typeof def !== 'string') throw new Error(`operator flag ${o.long} has no default`);
    // The CLI parses `…-ms` and `--workers` as positive integers (their defaults are digits).
    const integer = /^[0-9]+$/.test(def);
    return {
      key,
      flag: o.long,
      description: o.description,
      default: integer ? Number(def) : def,
      integer,
    };
  });
}
