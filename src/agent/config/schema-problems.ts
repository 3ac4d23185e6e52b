// Turns TypeBox validation errors into short human reasons ("must be an integer ≥ 10, got 5"),
// one per field, instead of TypeBox's generic messages and regular expressions.
import { KindGuard, type TSchema } from '@sinclair/typebox';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import { MEMBER_NAME_PATTERN, MEMBER_NAME_RULE } from '../wire/member-name.js';
import { quote } from './agent-flags.js';

export interface FieldProblem {
  /** Dotted field path, e.g. `gossip.probeIntervalMs`. */
  readonly path: string;
  readonly reason: string;
}

// When a field breaks several rules, the most telling one is reported.
const PREFERENCE: readonly ValueErrorType[] = [
  ValueErrorType.ObjectAdditionalProperties,
  ValueErrorType.StringPattern,
];

export function schemaProblems(schema: TSchema, value: unknown): FieldProblem[] {
  const byPath = new Map<string, { type: ValueErrorType; reason: string }>();
  for (const e of Value.Errors(schema, value)) {
    const path = e.path.replace(/^\//, '').split('/').map(unescapePointer).join('.') || '(root)';
    const prev = byPath.get(path);
    const better = prev && PREFERENCE.indexOf(e.type) > PREFERENCE.indexOf(prev.type);
    if (!prev || better)
      byPath.set(path, { type: e.type, reason: reasonFor(e.type, e.schema, e.value, path) });
  }
  return [...byPath].map(([path, { reason }]) => ({ path, reason }));
}

function unescapePointer(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

function reasonFor(type: ValueErrorType, schema: TSchema, value: unknown, path: string): string {
  const got = `, got ${quote(value)}`;
  const what = typeWord(schema);
  switch (type) {
    case ValueErrorType.ObjectAdditionalProperties:
      return `unknown key${suggestion(schema, path)}`;
    case ValueErrorType.ObjectRequiredProperty:
      return 'is required';
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return `must be ${what} ≥ ${schema.minimum}${got}`;
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return `must be ${what} ≤ ${schema.maximum}${got}`;
    case ValueErrorType.StringMinLength:
      return schema.minLength === 1
        ? 'must not be empty'
        : `must be at least ${schema.minLength} characters${got}`;
    case ValueErrorType.StringMaxLength:
      return `must be at most ${schema.maxLength} characters${got}`;
    case ValueErrorType.StringPattern:
      if (schema.pattern === MEMBER_NAME_PATTERN) return `must be a member name (${MEMBER_NAME_RULE})${got}`;
      return String(schema.pattern).includes(':[0-9]')
        ? `must be HOST:PORT (e.g. 10.0.0.7:7946 or [fd00::7]:7946)${got}`
        : `must match ${schema.pattern}${got}`;
    case ValueErrorType.ArrayMaxItems:
      return `must have at most ${schema.maxItems} entries`;
    case ValueErrorType.ObjectMaxProperties:
      return `must have at most ${schema.maxProperties} entries, got ${Object.keys(value as object).length}`;
    case ValueErrorType.Union:
      return `must be ${what}${got}`;
    default:
      return `must be ${what}${got}`;
  }
}

function typeWord(schema: TSchema): string {
  if (KindGuard.IsInteger(schema)) return 'an integer';
  if (KindGuard.IsNumber(schema)) return 'a number';
  if (KindGuard.IsBoolean(schema)) return 'true or false';
  if (KindGuard.IsString(schema)) return 'text';
  if (KindGuard.IsArray(schema)) return 'a list';
  if (KindGuard.IsRecord(schema)) return 'a map of text to text';
  if (KindGuard.IsObject(schema)) return 'a mapping';
  if (KindGuard.IsUnion(schema)) {
    const literals = schema.anyOf.map((s) => (KindGuard.IsLiteral(s) ? String(s.const) : undefined));
    if (literals.every((l) => l !== undefined)) return `one of ${literals.join(', ')}`;
  }
  return 'valid';
}

// The common mistake is the case of a key (probeIntervalMS) or a small typo.
function suggestion(schema: TSchema, path: string): string {
  if (!KindGuard.IsObject(schema)) return '';
  const key = path.split('.').pop() ?? '';
  const known = Object.keys(schema.properties);
  const near =
    known.find((k) => k.toLowerCase() === key.toLowerCase()) ?? known.find((k) => editDistance(k, key) <= 2);
  return near ? ` (did you mean ${near}?)` : '';
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
