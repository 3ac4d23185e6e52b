// Resolves the agent's configuration: schema defaults < config file (YAML) < GRAPEVINE_* variables
// < flags, then NODE_NAME / POD_IP / host name for what is still unset. Any mistake becomes one
// ConfigError line naming the field, the reason and where the bad value came from.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname as osHostname } from 'node:os';
import { Value } from '@sinclair/typebox/value';
import type { parseDocument } from 'yaml';
import { isIpAddr } from '../core/source-check.js';
import { tagProblems } from '../wire/limits-check.js';
import {
  AGENT_FLAGS,
  CONFIG_FLAG,
  type ConfigPatch,
  envToConfigPatch,
  flagsToConfigPatch,
  quote,
} from './agent-flags.js';
import { type AgentConfig, AgentConfigSchema } from './agent-schema.js';
import { deepMerge, fieldPaths, isPlainObject, valueAt } from './config-paths.js';
import { ConfigError, EngineSchema, engineConfigProblems } from './engine-schema.js';
import { schemaProblems } from './schema-problems.js';

export type ConfigSource =
  | { readonly kind: 'default' }
  | { readonly kind: 'file'; readonly file: string }
  | { readonly kind: 'env'; readonly variable: string }
  | { readonly kind: 'flag'; readonly flag: string }
  | { readonly kind: 'hostname' };

export interface LoadAgentConfigOptions {
  /** commander's `opts()` of a command set up with addAgentOptions. */
  readonly flags?: Readonly<Record<string, unknown>>;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (path: string) => string;
  readonly hostname?: () => string;
}

export interface LoadedAgentConfig {
  readonly config: AgentConfig;
  /** Where each field's value came from, by dotted path (e.g. `gossip.probeIntervalMs`). */
  readonly sources: Readonly<Record<string, ConfigSource>>;
  /** The config file read, if any (to watch it for changes). */
  readonly configFile: string | undefined;
}

export function describeSource(s: ConfigSource | undefined): string {
  switch (s?.kind) {
    case 'file':
      return s.file;
    case 'env':
      return s.variable;
    case 'flag':
      return s.flag;
    case 'hostname':
      return 'the host name; set one with --name or NODE_NAME';
    default:
      return 'default';
  }
}

const invalid = (problem: string) => new ConfigError([`invalid config: ${problem}`]);

let parseYaml: typeof parseDocument | undefined;

/**
 * Loads the YAML parser, which loadAgentConfig needs only when a config file is given: most agents
 * run on flags and environment variables alone and so never pay its memory (docs/benchmarks.md,
 * "Agent memory"). Call it before loadAgentConfig whenever configFileOf() names a file.
 */
export async function loadConfigFileParser(): Promise<void> {
  parseYaml ??= (await import('yaml')).parseDocument;
}

/** The config file named by the `--config` flag or else its environment variable, if any. */
export function configFileOf(
  flags: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
): { file: string; origin: string } | undefined {
  const fromFlag = flags[CONFIG_FLAG.key];
  if (typeof fromFlag === 'string') return { file: fromFlag, origin: CONFIG_FLAG.flag };
  const fromEnv = env[CONFIG_FLAG.env];
  return fromEnv ? { file: fromEnv, origin: CONFIG_FLAG.env } : undefined;
}

export function loadAgentConfig(opts: LoadAgentConfigOptions = {}): LoadedAgentConfig {
  const flags = opts.flags ?? {};
  const env = opts.env ?? {};
  const readFile = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));

  const named = configFileOf(flags, env);
  const configFile = named?.file;

  const layers: Array<{ patch: ConfigPatch; source: (path: string) => ConfigSource }> = [];
  if (named !== undefined) {
    const patch = readConfigFile(named.file, named.origin, readFile);
    layers.push({ patch, source: () => ({ kind: 'file', file: named.file }) });
  }
  layers.push({ patch: envToConfigPatch(env), source: (p) => ({ kind: 'env', variable: flagOf(p).env }) });
  layers.push({ patch: flagsToConfigPatch(flags), source: (p) => ({ kind: 'flag', flag: flagOf(p).flag }) });

  let merged: ConfigPatch = {};
  const sources: Record<string, ConfigSource> = {};
  for (const layer of layers) {
    merged = deepMerge(merged, layer.patch);
    for (const path of fieldPaths(layer.patch)) sources[path] = layer.source(path);
  }

  const withDefaults = Value.Default(AgentConfigSchema, structuredClone(merged)) as Record<string, unknown>;
  for (const path of fieldPaths(withDefaults)) sources[path] ??= { kind: 'default' };
  resolveName(withDefaults, sources, env, opts.hostname ?? osHostname);
  resolveAdvertise(withDefaults, sources, env);

  const problems = schemaProblems(AgentConfigSchema, withDefaults).map(
    (p) => `${p.path}: ${p.reason} (from ${describeSource(sourceOf(sources, p.path))})`,
  );
  if (problems.length === 0) problems.push(...portProblems(withDefaults, sources));
  if (problems.length === 0) problems.push(...crossFieldProblems(withDefaults as AgentConfig, sources));
  if (problems.length > 0) throw invalid(problems.join('; '));
  return { config: withDefaults as AgentConfig, sources, configFile };
}

function readConfigFile(file: string, origin: string, readFile: (p: string) => string): ConfigPatch {
  let text: string;
  try {
    text = readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw invalid(`config file not found: ${file} (from ${origin})`);
    throw invalid(`cannot read config file ${file}: ${code ?? (err as Error).message} (from ${origin})`);
  }
  if (!parseYaml) throw new Error('a config file was given before loadConfigFileParser() resolved');
  const doc = parseYaml(text);
  const syntax = doc.errors[0];
  if (syntax) {
    const at = syntax.linePos?.[0];
    const where = at ? ` at line ${at.line}, column ${at.col}` : '';
    // yaml's message carries a multi-line code frame after the position; keep the reason only.
    const reason = (syntax.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw invalid(`YAML syntax error in ${file}${where}: ${reason}`);
  }
  const content: unknown = doc.toJS();
  if (content === null || content === undefined) return {};
  if (!isPlainObject(content)) {
    const kind = Array.isArray(content) ? 'a list' : quote(content);
    throw invalid(`${file}: expected a mapping of settings at the top level, got ${kind}`);
  }
  return content;
}

// Kubernetes passes these through the downward API; they rank below every explicit setting.
function resolveName(
  c: Record<string, unknown>,
  sources: Record<string, ConfigSource>,
  env: Readonly<Record<string, string | undefined>>,
  hostname: () => string,
): void {
  if (c.name !== undefined) return;
  if (env.NODE_NAME) {
    c.name = env.NODE_NAME;
    sources.name = { kind: 'env', variable: 'NODE_NAME' };
  } else {
    c.name = hostname();
    sources.name = { kind: 'hostname' };
  }
}

function resolveAdvertise(
  c: Record<string, unknown>,
  sources: Record<string, ConfigSource>,
  env: Readonly<Record<string, string | undefined>>,
): void {
  const podIp = env.POD_IP?.trim();
  if (c.advertise !== undefined || !podIp) return;
  const family = isIP(podIp);
  if (family === 0)
    throw invalid(`advertise: POD_IP must be an IP address, got ${quote(env.POD_IP)} (from POD_IP)`);
  const port = typeof c.bind === 'string' ? /:(\d+)$/.exec(c.bind)?.[1] : undefined;
  if (port === undefined) return; // the bad bind address is reported by validation
  c.advertise = family === 6 ? `[${podIp}]:${port}` : `${podIp}:${port}`;
  sources.advertise = { kind: 'env', variable: 'POD_IP' };
}

// The schema's pattern admits five digits; ports stop at 65535.
function portProblems(c: Record<string, unknown>, sources: Record<string, ConfigSource>): string[] {
  const addresses: Array<[string, unknown]> = [
    ['bind', c.bind],
    ['advertise', c.advertise],
    ['http', c.http],
    ...(Array.isArray(c.join) ? c.join.map((j, i): [string, unknown] => [`join.${i}`, j]) : []),
  ];
  return addresses.flatMap(([path, v]) => {
    const port = typeof v === 'string' ? Number(/:(\d+)$/.exec(v)?.[1]) : Number.NaN;
    return port > 65_535
      ? [
          `${path}: port must be at most 65535, got ${quote(v)} (from ${describeSource(sourceOf(sources, path))})`,
        ]
      : [];
  });
}

function crossFieldProblems(c: AgentConfig, sources: Record<string, ConfigSource>): string[] {
  const fields = Object.keys(EngineSchema.properties);
  const tags = tagProblems(c.tags).map((p) => `tags: ${p} (from ${describeSource(sources.tags)})`);
  if (c.requireApiToken && c.apiTokenFile === undefined)
    tags.push('requireApiToken is set but apiTokenFile is not: give the file holding the API token');
  if (c.advertise !== undefined && !isIpAddr(c.advertise))
    tags.push(
      `advertise: ${quote(c.advertise)} is not an IP address (from ${describeSource(sourceOf(sources, 'advertise'))}): peers never resolve names that arrive in packets; give the IP address peers reach this node on`,
    );
  return tags.concat(
    engineConfigProblems(c.gossip).map((problem) => {
      const at = (f: string) => problem.search(new RegExp(`\\b${f}\\b`));
      const mentioned = fields.filter((f) => at(f) >= 0).sort((a, b) => at(a) - at(b));
      const origins = mentioned.map(
        (f) => `${f}=${quote(valueAt(c.gossip, f))} from ${describeSource(sources[`gossip.${f}`])}`,
      );
      return `gossip.${problem}${origins.length > 0 ? ` (${origins.join(', ')})` : ''}`;
    }),
  );
}

function sourceOf(sources: Readonly<Record<string, ConfigSource>>, path: string): ConfigSource | undefined {
  // An element (join.2, tags.zone) or an unknown key inside a known object takes its nearest parent's source.
  for (let p = path; p !== ''; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    if (sources[p]) return sources[p];
  }
  return undefined;
}

const FLAGS_BY_PATH = new Map(AGENT_FLAGS.map((f) => [f.path.join('.'), f]));
function flagOf(path: string): { flag: string; env: string } {
  return FLAGS_BY_PATH.get(path) ?? { flag: path, env: path };
}
