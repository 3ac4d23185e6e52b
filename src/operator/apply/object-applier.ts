// Writes owned objects with server-side apply (one field manager, forced: the operator owns these
// objects) and deletes what is no longer wanted — counting every write, so "no write when nothing
// changed" can be measured and tested. The status has its own writer (status/status-writer.ts).
import { type KubernetesObject, type KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';

export const FIELD_MANAGER = 'grapevine-operator';

export type WriteVerb = 'apply' | 'delete' | 'status';

export class ObjectApplier {
  constructor(
    private readonly objects: KubernetesObjectApi,
    private readonly onWrite: (verb: WriteVerb, kind: string) => void = () => {},
  ) {}

  async apply(obj: KubernetesObject): Promise<void> {
    this.onWrite('apply', obj.kind ?? 'unknown');
    await this.objects.patch(obj, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
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
