// One watched kind over the operator's scope: a single cluster-wide informer, or one informer per
// watched namespace (namespaced mode, where the operator holds Roles only and cannot list across
// namespaces). Reads and event handlers look the same either way.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { InformerVerb, ObjectHandler, ResilientInformer } from './resilient-informer.js';

export class WatchedKind<T extends KubernetesObject = KubernetesObject> {
  /** Keyed by namespace; '' holds the cluster-wide informer. */
  private readonly byNamespace: Map<string, ResilientInformer<T>>;

  constructor(informers: ReadonlyMap<string, ResilientInformer<T>>) {
    this.byNamespace = new Map(informers);
  }

  get informers(): ResilientInformer<T>[] {
    return [...this.byNamespace.values()];
  }

  private of(namespace: string): ResilientInformer<T> | undefined {
    return this.byNamespace.get('') ?? this.byNamespace.get(namespace);
  }

  list(namespace?: string): T[] {
    if (namespace === undefined) return this.informers.flatMap((i) => [...i.list()]);
    return [...(this.of(namespace)?.list(namespace) ?? [])];
  }

  get(name: string, namespace: string): T | undefined {
    return this.of(namespace)?.get(name, namespace);
  }

  on(verb: InformerVerb, handler: ObjectHandler<T>): void {
    for (const i of this.informers) i.on(verb, handler);
  }
}
