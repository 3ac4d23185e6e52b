// Writes a GossipCluster's status with server-side apply on the status subresource. An apply replaces
// the set of fields this manager owns: a field the operator no longer sets (members after the agents
// are gone, a condition type dropped) is removed, which a merge patch cannot do. The caller writes only
// when the computed status differs from the stored one (statusEqual), so an unchanged status costs
// no request at all. What an apply cannot remove because another field manager co-owns it (an older
// operator's merge patches) is removed right after with a JSON patch (stale-status.ts).
import { type CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import {
  API_VERSION,
  type GossipCluster,
  type GossipClusterStatus,
  GROUP,
  KIND,
  PLURAL,
  VERSION,
} from '../api/gossipcluster-schema.js';
import { staleStatusPaths } from './stale-status.js';

/** The status has its own field manager, so spec-side appliers never contend with it. */
export const STATUS_FIELD_MANAGER = 'grapevine-operator-status';

export class StatusWriter {
  constructor(
    private readonly custom: Pick<CustomObjectsApi, 'patchNamespacedCustomObjectStatus'>,
    private readonly onWrite: (verb: 'status', kind: string) => void = () => {},
    private readonly logger?: Logger,
  ) {}

  async write(cr: GossipCluster, status: GossipClusterStatus): Promise<void> {
    this.onWrite('status', KIND);
    const stored = (await this.custom.patchNamespacedCustomObjectStatus(
      {
        ...this.target(cr),
        body: {
          apiVersion: API_VERSION,
          kind: KIND,
          metadata: { name: cr.metadata.name, namespace: cr.metadata.namespace },
          status,
        },
        fieldManager: STATUS_FIELD_MANAGER,
        force: true,
      },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    )) as Partial<GossipCluster> | undefined;
    const stale = staleStatusPaths(stored?.status, status);
    if (stale.length > 0) await this.removeStale(cr, stored?.metadata?.resourceVersion, stale);
  }

  /**
   * Guarded by the resourceVersion the apply returned: if anything changed in between, the patch
   * fails harmlessly and the next write that finds the fields still there tries again.
   */
  private async removeStale(cr: GossipCluster, resourceVersion: string | undefined, paths: string[]) {
    const cluster = `${cr.metadata.namespace}/${cr.metadata.name}`;
    this.onWrite('status', KIND);
    try {
      await this.custom.patchNamespacedCustomObjectStatus(
        {
          ...this.target(cr),
          body: [
            ...(resourceVersion
              ? [{ op: 'test', path: '/metadata/resourceVersion', value: resourceVersion }]
              : []),
            ...paths.map((path) => ({ op: 'remove', path })),
          ],
          fieldManager: STATUS_FIELD_MANAGER,
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
      this.logger?.info(
        { cluster, removed: paths },
        'removed status fields that another field manager (an older operator) had written',
      );
    } catch (err) {
      this.logger?.debug(
        { cluster, err: String(err) },
        'stale status fields not removed; the next write retries',
      );
    }
  }

  private target(cr: GossipCluster) {
    return {
      group: GROUP,
      version: VERSION,
      namespace: cr.metadata.namespace,
      plural: PLURAL,
      name: cr.metadata.name,
    };
  }
}
