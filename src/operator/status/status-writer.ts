// Writes a GossipCluster's status with server-side apply on the status subresource. An apply replaces
// the set of fields this manager owns: a field the operator no longer sets (members after the agents
// are gone, a condition type dropped) is removed, which a merge patch cannot do. The caller writes only
// when the computed status differs from the stored one (statusEqual), so an unchanged status costs
// no request at all.
import { type CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import {
  API_VERSION,
  type GossipCluster,
  type GossipClusterStatus,
  GROUP,
  KIND,
  PLURAL,
  VERSION,
} from '../api/gossipcluster-schema.js';

/** The status has its own field manager, so spec-side appliers never contend with it. */
export const STATUS_FIELD_MANAGER = 'grapevine-operator-status';

export class StatusWriter {
  constructor(
    private readonly custom: Pick<CustomObjectsApi, 'patchNamespacedCustomObjectStatus'>,
    private readonly onWrite: (verb: 'status', kind: string) => void = () => {},
  ) {}

  async write(cr: GossipCluster, status: GossipClusterStatus): Promise<void> {
    this.onWrite('status', KIND);
    await this.custom.patchNamespacedCustomObjectStatus(
      {
        group: GROUP,
        version: VERSION,
        namespace: cr.metadata.namespace,
        plural: PLURAL,
        name: cr.metadata.name,
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
    );
  }
}
