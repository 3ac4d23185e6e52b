// The `grapevine agent` flags and their environment variables, generated from AgentConfigSchema
// (and the EngineSchema nested in it as `gossip`), so a new tunable gets a flag, a variable, help
// text and a documentation row without anyone writing them.

import { KindGuard, type TSchema } from '@sinclair/typebox';
import { type Command, Option } from 'commander';
import { AgentConfigSchema } from './agent-schema.js';
import { setAt } from './config-paths.js';
import { ConfigError } from './engine-schema.js';

export type FlagKind = 'string' | 'integer' | 'boolean' | 'enum' | 'list';

export interface AgentFlag {
  /** e.g. `--probe-interval-ms` */
  readonly flag: string;
  /** e.g. `GRAPEVINE_PROBE_INTERVAL_MS` */
  readonly env: string;
  /** Key of the flag in commander's `opts()`, e.g. `probeIntervalMs`. */
  readonly key: string;
  /** Config field the flag sets, e.g. ['gossip', 'probeIntervalMs']; empty for `--config`. */
  readonly path: readonly string[];
  readonly kind: FlagKind;
  /** Placeholder shown in help, e.g. `HOST:PORT`. */
  readonly valueName: string;
  readonly choices?: readonly string[];
  readonly description: string;
  /** The schema default, if any (shown in help and docs; never injected into the flag values). */
  readonly defaultValue?: unknown;
}

/** Config fields without a flag: a free-form map has no natural flag syntax. */
const NO_FLAG = new Set(['tags']);

export const CONFIG_FLAG: AgentFlag = {
  flag: '--config',
  env: 'GRAPEVINE_CONFIG',
  key: 'config',
  path: [],
  kind: 'string',
  valueName: 'PATH',
  description: 'YAML config file (the ConfigMap); flags and environment variables override it.',
};

export const AGENT_FLAGS: readonly AgentFlag[] = buildFlags();

function buildFlags(): AgentFlag[] {
  const flags: AgentFlag[] = [];
  for (const [key, schema] of Object.entries(AgentConfigSchema.properties)) {
    if (NO_FLAG.has(key)) continue;
    if (key === 'gossip') {
      flags.push(CONFIG_FLAG, ...engineFlags(schema, ['gossip'], []));
    } else flags.push(flagFor(schema, [key], [key]));
  }
  const seen = new Set<string>();
  for (const f of flags) {
    if (seen.has(f.flag)) throw new Error(`two config fields map to the flag ${f.flag}`);
    seen.add(f.flag);
  }
  return flags;
}

// Engine tunables are named after their path below `gossip`: gossip.antiEntropy.mode → --anti-entropy-mode.
function engineFlags(schema: TSchema, path: string[], nameParts: string[]): AgentFlag[] {
  if (!KindGuard.IsObject(schema)) return [flagFor(schema, path, nameParts)];
  return Object.entries(schema.properties).flatMap(([key, sub]) =>
    engineFlags(sub, [...path, key], [...nameParts, key]),
  );
}

function flagFor(schema: TSchema, path: string[], nameParts: string[]): AgentFlag {
  const flag = `--${nameParts.map(kebab).join('-')}`;
  const kind = kindOf(schema);
  const choices = kind === 'enum' ? literalChoices(schema) : undefined;
  const field = path[path.length - 1]!;
  return {
    flag,
    env: `GRAPEVINE_${flag.slice(2).toUpperCase().replace(/-/g, '_')}`,
    key: new Option(flag).attributeName(),
    path,
    kind,
    valueName: valueNameFor(schema, kind, field, choices),
    ...(choices ? { choices } : {}),
    description: String(schema.description ?? ''),
    ...(schema.default !== undefined ? { defaultValue: schema.default } : {}),
  };
}

function kindOf(schema: TSchema): FlagKind {
  if (KindGuard.IsInteger(schema)) return 'integer';
  if (KindGuard.IsBoolean(schema)) return 'boolean';
  if (KindGuard.IsArray(schema)) return 'list';
  if (literalChoices(schema)) return 'enum';
  if (KindGuard.IsString(schema)) return 'string';
  throw new Error(`no flag syntax for config schema kind ${String(schema.type)}`);
}

function literalChoices(schema: TSchema): string[] | undefined {
  if (!KindGuard.IsUnion(schema)) return undefined;
  const values = schema.anyOf.map((s) => (KindGuard.IsLiteralString(s) ? s.const : undefined));
  return values.every((v) => v !== undefined) ? (values as string[]) : undefined;
}

function valueNameFor(schema: TSchema, kind: FlagKind, field: string, choices?: string[]): string {
  const item = KindGuard.IsArray(schema) ? schema.items : schema;
  if (typeof item.pattern === 'string' && item.pattern.includes(':[0-9]')) return 'HOST:PORT';
  if (kind === 'boolean') return 'true|false';
  if (choices) return choices.join('|');
  if (kind === 'integer') return field.endsWith('Ms') ? 'MS' : 'N';
  if (field.endsWith('File')) return 'PATH';
  return 'NAME';
}

function kebab(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Help text: the schema description, then default and variable in commander's own style. */
export function flagHelp(f: AgentFlag): string {
  const extra = [
    ...(f.kind === 'list' ? ['repeatable'] : []),
    ...(formatDefault(f.defaultValue) !== '' ? [`default: ${formatDefault(f.defaultValue)}`] : []),
    `env: ${f.env}`,
  ];
  return `${f.description} (${extra.join(', ')})`;
}

/** The default as a user would type it; '' when there is none worth showing. */
export function formatDefault(v: unknown): string {
  if (v === undefined) return '';
  if (Array.isArray(v)) return v.length === 0 ? '' : v.join(',');
  if (typeof v === 'object' && v !== null) return Object.keys(v).length === 0 ? '' : JSON.stringify(v);
  return String(v);
}

/**
 * Registers every agent flag on `cmd`. Values are kept as raw strings (no commander defaults or
 * parsers) so that flagsToConfigPatch sees only what the user typed and reports bad values itself.
 */
export function addAgentOptions(cmd: Command): Command {
  for (const f of AGENT_FLAGS) {
    const option = new Option(`${f.flag} <${f.valueName}>`, flagHelp(f));
    if (f.kind === 'list') option.argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]);
    cmd.addOption(option);
  }
  return cmd;
}

export type ConfigPatch = Record<string, unknown>;

/** A partial config from commander's `opts()`; throws ConfigError naming the flag of a bad value. */
export function flagsToConfigPatch(opts: Readonly<Record<string, unknown>>): ConfigPatch {
  return toPatch(
    (f) => opts[f.key],
    (f) => f.flag,
    false,
  );
}

/** A partial config from `GRAPEVINE_*` variables (empty ones count as unset); lists are comma-separated. */
export function envToConfigPatch(env: Readonly<Record<string, string | undefined>>): ConfigPatch {
  return toPatch(
    (f) => (env[f.env] === '' ? undefined : env[f.env]),
    (f) => f.env,
    true,
  );
}

function toPatch(
  raw: (f: AgentFlag) => unknown,
  label: (f: AgentFlag) => string,
  fromEnv: boolean,
): ConfigPatch {
  const patch: ConfigPatch = {};
  const problems: string[] = [];
  for (const f of AGENT_FLAGS) {
    if (f.path.length === 0) continue;
    const value = raw(f);
    if (value === undefined) continue;
    const parsed = parseFlagValue(f, value, fromEnv);
    if ('problem' in parsed) problems.push(`${label(f)}: ${parsed.problem}`);
    else setAt(patch, f.path, parsed.value);
  }
  if (problems.length > 0) throw new ConfigError([`invalid config: ${problems.join('; ')}`]);
  return patch;
}

type Parsed = { value: unknown } | { problem: string };

/** Type-checks one value; ranges and patterns are left to the schema, which names the field. */
export function parseFlagValue(f: AgentFlag, value: unknown, fromEnv = false): Parsed {
  if (f.kind === 'list') {
    const items = Array.isArray(value) ? value : [value];
    if (!items.every((v) => typeof v === 'string')) return { problem: `expected text, got ${quote(value)}` };
    // Env vars cannot repeat, so they list with commas; flags may do either.
    const split = items.flatMap((v) => v.split(fromEnv ? /[\s,]+/ : /,/)).map((v) => v.trim());
    return { value: split.filter((v) => v !== '') };
  }
  if (typeof value !== 'string') {
    const ok =
      (f.kind === 'integer' && Number.isSafeInteger(value)) ||
      (f.kind === 'boolean' && typeof value === 'boolean');
    return ok ? { value } : { problem: `expected ${expected(f)}, got ${quote(value)}` };
  }
  const text = value.trim();
  switch (f.kind) {
    case 'integer': {
      const n = Number(text);
      return /^[-+]?\d+$/.test(text) && Number.isSafeInteger(n)
        ? { value: n }
        : { problem: `expected ${expected(f)}, got ${quote(value)}` };
    }
    case 'boolean':
      if (text === 'true') return { value: true };
      if (text === 'false') return { value: false };
      return { problem: `expected ${expected(f)}, got ${quote(value)}` };
    case 'enum':
      return f.choices?.includes(text)
        ? { value: text }
        : { problem: `expected ${expected(f)}, got ${quote(value)}` };
    default:
      return { value };
  }
}

function expected(f: AgentFlag): string {
  if (f.kind === 'integer') return 'an integer';
  if (f.kind === 'boolean') return 'true or false';
  if (f.kind === 'enum') return `one of ${f.choices?.join(', ')}`;
  return 'text';
}

/** A value for an error message: quoted, one line (control characters escaped), bounded. */
export function quote(v: unknown): string {
  const text =
    typeof v === 'string' ? `'${JSON.stringify(v).slice(1, -1)}'` : (JSON.stringify(v) ?? String(v));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
