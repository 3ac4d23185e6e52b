// Walks config values alongside AgentConfigSchema, so flags, sources and diffs agree on what a
// "field" is: nested schema objects (gossip, gossip.antiEntropy, …) are descended into; everything
// else — scalars, `join` (a list) and `tags` (a free-form map) — is one field.
import { KindGuard, type TSchema } from '@sinclair/typebox';
import { AgentConfigSchema } from './agent-schema.js';

/** The schema of the field at `path` (e.g. ['gossip', 'antiEntropy', 'mode']), if there is one. */
export function schemaAt(path: readonly string[]): TSchema | undefined {
  let schema: TSchema = AgentConfigSchema;
  for (const key of path) {
    if (!KindGuard.IsObject(schema) || !Object.hasOwn(schema.properties, key)) return undefined;
    schema = schema.properties[key]!;
  }
  return schema;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Dotted paths of the fields present in `value`; keys the schema does not know are fields too. */
export function fieldPaths(value: unknown, path: readonly string[] = []): string[] {
  const schema = schemaAt(path);
  const descend = path.length === 0 || (schema !== undefined && KindGuard.IsObject(schema));
  if (!descend || !isPlainObject(value)) return [path.join('.')];
  return Object.keys(value).flatMap((key) =>
    value[key] === undefined ? [] : fieldPaths(value[key], [...path, key]),
  );
}

/** Value at a dotted path, or undefined. */
export function valueAt(root: unknown, dotted: string): unknown {
  let v: unknown = root;
  for (const key of dotted.split('.')) {
    if (!isPlainObject(v) || !Object.hasOwn(v, key)) return undefined;
    v = v[key];
  }
  return v;
}

/** Sets a value at a path, creating objects; keys become own properties even if named `__proto__`. */
export function setAt(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let obj = root;
  path.forEach((key, i) => {
    if (i === path.length - 1) {
      defineOwn(obj, key, value);
      return;
    }
    const next = Object.hasOwn(obj, key) ? obj[key] : undefined;
    if (isPlainObject(next)) obj = next;
    else {
      const created: Record<string, unknown> = {};
      defineOwn(obj, key, created);
      obj = created;
    }
  });
}

/** Recursive merge where `over` wins; objects merge, lists and scalars replace. Inputs are not modified. */
export function deepMerge(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) defineOwn(out, key, value);
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const prev = Object.hasOwn(out, key) ? out[key] : undefined;
    defineOwn(out, key, isPlainObject(prev) && isPlainObject(value) ? deepMerge(prev, value) : value);
  }
  return out;
}

/** Structural equality of JSON-like values (key order ignored). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameValue(a[k], b[k]));
  }
  return false;
}

// A YAML key named `__proto__` must stay an ordinary (and then rejected) key, never a prototype.
function defineOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
