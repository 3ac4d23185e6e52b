// The GossipCluster schema embeds two Kubernetes-only shapes through Type.Unsafe (int-or-string
// quantities and a free-form Affinity). TypeBox cannot check an unregistered kind and throws, so the
// operator teaches it how: the same rules the apiserver applies to those fields.
import { TypeRegistry } from '@sinclair/typebox';

interface UnsafeSchema {
  readonly type?: string;
  readonly 'x-kubernetes-int-or-string'?: boolean;
  readonly pattern?: string;
  readonly minimum?: number;
}

// As the apiserver's OpenAPI validation: `pattern` applies to strings only, `minimum` to numbers only.
function checkUnsafe(schema: UnsafeSchema, value: unknown): boolean {
  if (schema['x-kubernetes-int-or-string'] === true) {
    if (typeof value === 'string')
      return schema.pattern === undefined || new RegExp(schema.pattern).test(value);
    return (
      typeof value === 'number' &&
      Number.isInteger(value) &&
      (schema.minimum === undefined || value >= schema.minimum)
    );
  }
  if (schema.type === 'object') return typeof value === 'object' && value !== null && !Array.isArray(value);
  return true;
}

/** Idempotent; call before any Value.Check/Errors on GossipClusterSpecSchema. */
export function registerKubernetesKinds(): void {
  if (!TypeRegistry.Has('Unsafe')) TypeRegistry.Set<UnsafeSchema>('Unsafe', checkUnsafe);
}
