// TypeBox emits JSON Schema, but a CRD needs a *structural* OpenAPI v3 schema. This converts one to
// the other and refuses (throws) what it cannot express, so a future schema change fails the
// generator instead of producing a CRD the apiserver rejects:
// - symbols and $id are dropped (a JSON round trip);
// - unions of string literals become `type: string` + `enum`, a lone `const` becomes a one-value enum;
// - `additionalProperties: false` is dropped (not allowed; the apiserver prunes unknown fields anyway);
// - Type.Record (`patternProperties: {"^(.*)$": …}`) becomes `additionalProperties: {…}`;
// - `required` loses the properties that have a default: the apiserver defaults before it validates,
//   and a default of `{}` for an object with required children would itself be invalid.
// Kept: type, default, minimum/maximum, minLength/maxLength, maxItems, pattern, format, description,
// enum and the x-kubernetes-* extensions.

export type JsonSchema = { [key: string]: unknown };

const ANY_KEY = '^(.*)$';

const KEPT = new Set([
  'type',
  'default',
  'description',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'pattern',
  'format',
  'enum',
  'nullable',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
]);

export class StructuralSchemaError extends Error {
  constructor(path: string, reason: string) {
    super(`${path || '(root)'}: ${reason}`);
    this.name = 'StructuralSchemaError';
  }
}

/** A structural copy of `schema` (a TypeBox schema or plain JSON Schema); the input is not modified. */
export function toStructuralSchema(schema: unknown): JsonSchema {
  return convert(JSON.parse(JSON.stringify(schema)) as JsonSchema, '');
}

function convert(node: JsonSchema, path: string): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (KEPT.has(key)) out[key] = value;
  }

  if (Array.isArray(node.anyOf)) Object.assign(out, literalEnum(node.anyOf as JsonSchema[], path));
  else if (node.anyOf !== undefined || node.oneOf !== undefined || node.allOf !== undefined)
    throw new StructuralSchemaError(path, 'anyOf/oneOf/allOf other than a union of literals');
  if ('const' in node) Object.assign(out, literalEnum([node], path));

  if (isObject(node.properties)) {
    const props: JsonSchema = {};
    for (const [key, sub] of Object.entries(node.properties))
      props[key] = convert(sub as JsonSchema, `${path}.${key}`);
    out.properties = props;
    const required = Array.isArray(node.required)
      ? (node.required as string[]).filter((k) => !('default' in (props[k] as JsonSchema)))
      : [];
    if (required.length > 0) out.required = required;
  }

  if (isObject(node.patternProperties)) {
    const patterns = Object.keys(node.patternProperties);
    if (patterns.length !== 1 || patterns[0] !== ANY_KEY)
      throw new StructuralSchemaError(path, `patternProperties other than ${ANY_KEY}`);
    out.additionalProperties = convert(node.patternProperties[ANY_KEY] as JsonSchema, `${path}.*`);
  } else if (isObject(node.additionalProperties)) {
    out.additionalProperties = convert(node.additionalProperties, `${path}.*`);
  }

  if (isObject(node.items)) out.items = convert(node.items, `${path}[]`);
  else if (node.items !== undefined) throw new StructuralSchemaError(path, 'tuple items');

  const untyped =
    out['x-kubernetes-int-or-string'] === true || out['x-kubernetes-preserve-unknown-fields'] === true;
  if (typeof out.type !== 'string' && !untyped) throw new StructuralSchemaError(path, 'no type');
  if (out.type === 'object' && out.properties !== undefined && out.additionalProperties !== undefined)
    throw new StructuralSchemaError(path, 'both properties and additionalProperties');
  return typeAndDescriptionFirst(out);
}

// Readers of the generated YAML look for a field's type and meaning first.
function typeAndDescriptionFirst(node: JsonSchema): JsonSchema {
  const { type, description, ...rest } = node;
  return {
    ...(type !== undefined ? { type } : {}),
    ...(description !== undefined ? { description } : {}),
    ...rest,
  };
}

function literalEnum(options: JsonSchema[], path: string): JsonSchema {
  const values = options.map((o) => o.const);
  const types = new Set(values.map((v) => typeof v));
  if (values.some((v) => v === undefined) || types.size !== 1)
    throw new StructuralSchemaError(path, 'a union must be of literals of one type');
  const type =
    typeof values[0] === 'number'
      ? values.every(Number.isInteger)
        ? 'integer'
        : 'number'
      : typeof values[0];
  return { type, enum: values };
}

function isObject(v: unknown): v is JsonSchema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
