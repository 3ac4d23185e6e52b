// Writes owned objects with server-side apply (one field manager, forced: the operator owns these
// objects) and deletes what is no longer wanted — counting every write, so "no write when nothing
// changed" can be measured and tested. The status has its own writer (status/status-writer.ts).
import { type KubernetesObject, type KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';

export const FIELD_MANAGER = 'grapevine-operator';

export type WriteVerb = 'apply' | 'create' | 'delete' | 'status';

export class ObjectApplier {
  constructor(
    private readonly objects: KubernetesObjectApi,
    private readonly onWrite: (verb: WriteVerb, kind: string) => void = () => {},
  ) {}

  /** The object as stored after the apply (the apiserver's answer). */
  async apply(obj: KubernetesObject): Promise<KubernetesObject> {
    this.onWrite('apply', obj.kind ?? 'unknown');
    return this.objects.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  }

  /** The live object (from the apiserver, not a cache), or undefined when it does not exist. */
  async read<T extends KubernetesObject>(obj: KubernetesObject): Promise<T | undefined> {
    const { apiVersion, kind, metadata } = obj;
    try {
      return (await this.objects.read({
        apiVersion,
        kind,
        metadata: { name: metadata?.name ?? '', namespace: metadata?.namespace },
      })) as T;
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  }

  /** Creates (POST, never an update): for objects whose content must be set exactly once. */
  async create(obj: KubernetesObject): Promise<void> {
    this.onWrite('create', obj.kind ?? 'unknown');
    await this.objects.create(obj, undefined, undefined, FIELD_MANAGER);
  }

  /** Deletes; an object already gone is fine. */
  async delete(obj: KubernetesObject): Promise<void> {
    this.onWrite('delete', obj.kind ?? 'unknown');
    try {
      await this.objects.delete(obj);
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }
}

/** The HTTP status of a client-node error (ApiException has `code`), or undefined. */
export function statusCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}
