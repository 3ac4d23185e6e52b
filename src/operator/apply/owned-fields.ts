// Removals. Server-side apply removes a field from an object when the field manager that applied it
// stops sending it — but only if we apply. Comparing "every field we set has our value" cannot see a
// field we no longer set, so this walks the fields the apiserver records as applied by our manager
// (metadata.managedFields, operation Apply) and reports the first one the desired object lacks.
// The field set names list elements by their keys (`k:{"name":"agent"}`), so no list schema is needed.

import { isDeepStrictEqual } from 'node:util';
import type { KubernetesObject } from '@kubernetes/client-node';

/** A managedFields `fieldsV1` tree: `f:<field>`, `k:<json key>`, `v:<json value>`, `i:<index>`, `.`. */
export type FieldSet = { [key: string]: FieldSet };

/** The fields `manager` owns through server-side apply on the main resource (not status). */
export function appliedFields(live: KubernetesObject, manager: string): FieldSet | undefined {
  const entry = (live.metadata?.managedFields ?? []).find(
    (m) => m.manager === manager && m.operation === 'Apply' && !m.subresource,
  );
  return entry?.fieldsV1 as FieldSet | undefined;
}

/**
 * The path of the first field `manager` applied to `live` that `desired` no longer has, or undefined.
 * Applying `desired` then makes the apiserver remove it (nobody else owns it).
 */
export function firstNoLongerDesired(
  live: KubernetesObject,
  desired: unknown,
  manager: string,
): string | undefined {
  const fields = appliedFields(live, manager);
  return fields === undefined ? undefined : missingIn(fields, desired, '');
}

function missingIn(fields: FieldSet, desired: unknown, path: string): string | undefined {
  for (const [key, sub] of Object.entries(fields)) {
    if (key === '.') continue;
    const child = childOf(desired, key);
    const at = `${path}${key.startsWith('f:') ? `${path ? '.' : ''}${key.slice(2)}` : `[${key}]`}`;
    if (child === undefined) return at;
    const deeper = missingIn(sub ?? {}, child, at);
    if (deeper !== undefined) return deeper;
  }
  return undefined;
}

function childOf(desired: unknown, key: string): unknown {
  const kind = key.slice(0, 2);
  const rest = key.slice(2);
  if (kind === 'f:') {
    if (typeof desired !== 'object' || desired === null || Array.isArray(desired)) return undefined;
    return (desired as Record<string, unknown>)[rest];
  }
  if (!Array.isArray(desired)) return undefined;
  if (kind === 'i:') return desired[Number(rest)];
  const value = parseJson(rest);
  if (value === undefined) return undefined;
  if (kind === 'v:') return desired.find((e) => isDeepStrictEqual(e, value));
  if (kind === 'k:') {
    const keys = Object.entries(value as Record<string, unknown>);
    // Keys come back in the apiserver's spelling (numbers as numbers); compare as text to be lenient.
    return desired.find(
      (e) =>
        typeof e === 'object' &&
        e !== null &&
        keys.every(([k, v]) => String((e as Record<string, unknown>)[k]) === String(v)),
    );
  }
  return undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
