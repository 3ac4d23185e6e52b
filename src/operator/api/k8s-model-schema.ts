// Kubernetes core types embedded in the GossipCluster spec (Affinity, Toleration, NetworkPolicyPeer)
// are not written by hand: their schema is built from the models @kubernetes/client-node ships,
// which are generated from the Kubernetes OpenAPI document. Each model's attributeTypeMap gives the
// fields and their types; its .d.ts gives each field's description and which fields are required.
// So the CRD types these fields exactly as the Pod API does (`affinity: {nodeAffinity: "yes"}` is
// refused by `kubectl apply` instead of being pruned silently), and `kubectl explain` shows the
// upstream descriptions.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { type TSchema, Type } from '@sinclair/typebox';

interface Attribute {
  readonly name: string;
  readonly baseName: string;
  readonly type: string;
  readonly format: string;
}

interface Model {
  readonly attributeTypeMap: readonly Attribute[];
}

interface Declared {
  readonly description?: string;
  readonly fields: Map<string, { description?: string; required: boolean }>;
}

/** Per-field refinements the models cannot carry (enums, patterns), keyed by `Model.field`. */
export type FieldRefinements = Record<string, Record<string, unknown>>;

/** A schema whose static type is the client-node model's class. */
export type ModelSchema<T> = TSchema & { static: T };

/** The TypeBox schema of a client-node model (e.g. 'V1Affinity'), nested models included. */
export function kubernetesModel<T = unknown>(
  model: string,
  refinements: FieldRefinements = {},
  options: Record<string, unknown> = {},
): ModelSchema<T> {
  const cls = (k8s as unknown as Record<string, Model | undefined>)[model];
  if (!cls?.attributeTypeMap) throw new Error(`@kubernetes/client-node has no model ${model}`);
  const declared = declaration(model);
  const props: Record<string, TSchema> = {};
  for (const a of cls.attributeTypeMap) {
    const field = declared.fields.get(a.name);
    const extra = {
      ...(field?.description ? { description: field.description } : {}),
      ...refinements[`${model}.${a.baseName}`],
    };
    const schema = typeSchema(a.type, a.format, extra, refinements);
    props[a.baseName] = field?.required ? schema : Type.Optional(schema);
  }
  return Type.Object(props, {
    ...(declared.description ? { description: declared.description } : {}),
    ...options,
  }) as unknown as ModelSchema<T>;
}

function typeSchema(
  type: string,
  format: string,
  extra: Record<string, unknown>,
  refinements: FieldRefinements,
): TSchema {
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return Type.Array(typeSchema(array[1] ?? '', '', {}, refinements), extra);
  if (type === 'string') {
    // An enum as a union of literals: TypeBox checks it, and the CRD generator turns it into `enum`.
    const { enum: values, ...rest } = extra;
    return Array.isArray(values)
      ? Type.Union(
          values.map((v) => Type.Literal(String(v))),
          rest,
        )
      : Type.String(extra);
  }
  if (type === 'boolean') return Type.Boolean(extra);
  if (type === 'number') return format.startsWith('int') ? Type.Integer(extra) : Type.Number(extra);
  if (/^\{ \[key: string\]: string; \}$/.test(type)) return Type.Record(Type.String(), Type.String(), extra);
  if (/^V\d\w+$/.test(type)) {
    const nested = kubernetesModel(type, refinements);
    // The field's own description says more than the type's, where the model has one.
    return { ...nested, ...extra } as TSchema;
  }
  throw new Error(`k8s-model-schema: no schema for client-node type ${type}`);
}

// The .d.ts files are in the package's dist/gen/models; the package's exports map does not list
// them, so the directory is found from the resolved entry point.
const MODELS_DIR = join(
  dirname(createRequire(import.meta.url).resolve('@kubernetes/client-node')),
  'gen',
  'models',
);

const cache = new Map<string, Declared>();

/** Descriptions and required fields from `<model>.d.ts`; empty when the file cannot be read. */
function declaration(model: string): Declared {
  const hit = cache.get(model);
  if (hit) return hit;
  let text = '';
  try {
    text = readFileSync(join(MODELS_DIR, `${model}.d.ts`), 'utf8');
  } catch {
    // Only descriptions and `required` are lost; the structure still comes from attributeTypeMap.
  }
  const fields = new Map<string, { description?: string; required: boolean }>();
  // A doc comment, then the property: `'name'?: type;`.
  const field = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*'([^']+)'(\??):/g;
  for (const m of text.matchAll(field)) {
    fields.set(m[2] ?? '', { description: docText(m[1] ?? ''), required: m[3] !== '?' });
  }
  const klass = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*export declare class/.exec(text);
  const result: Declared = { fields, ...(klass ? { description: docText(klass[1] ?? '') } : {}) };
  cache.set(model, result);
  return result;
}

function docText(comment: string): string | undefined {
  const text = comment
    .split('\n')
    .map((l) => l.replace(/^\s*\*\s?/, '').trim())
    .filter((l) => l !== '')
    .join(' ')
    .replace(/\\'/g, "'");
  return text === '' ? undefined : text;
}
