// client-node's ListWatch keeps a watch's AbortController only once the watch's response headers have
// arrived (`this.request = await watch.watch(…)`): a stop() in that window aborts nothing, and the
// watch that opens afterwards stays open, delivering events, until the server ends it (up to its
// timeout). This ListWatch remembers every open watch and aborts one that opens after stop().
import {
  type KubeConfig,
  type KubernetesObject,
  type ListPromise,
  ListWatch,
  Watch,
} from '@kubernetes/client-node';

class StopSafeWatch extends Watch {
  stopped = false;
  private readonly open = new Set<AbortController>();

  override async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const controller = await super.watch(path, queryParams, callback, done);
    if (this.stopped) controller.abort();
    else {
      this.open.add(controller);
      controller.signal.addEventListener('abort', () => this.open.delete(controller), { once: true });
    }
    return controller;
  }

  abortAll(): void {
    for (const c of this.open) c.abort();
  }
}

class StopSafeListWatch<T extends KubernetesObject> extends ListWatch<T> {
  constructor(
    path: string,
    private readonly gate: StopSafeWatch,
    listFn: ListPromise<T>,
    labelSelector?: string,
  ) {
    super(path, gate, listFn, false, labelSelector);
  }

  override start(): Promise<void> {
    this.gate.stopped = false;
    return super.start();
  }

  override stop(): Promise<void> {
    this.gate.stopped = true;
    this.gate.abortAll();
    return super.stop();
  }
}

/** client-node's makeInformer, with a stop() that also ends a watch still being opened. */
export function makeStopSafeInformer<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  path: string,
  listFn: ListPromise<T>,
  labelSelector?: string,
): ListWatch<T> {
  return new StopSafeListWatch(path, new StopSafeWatch(kubeConfig), listFn, labelSelector);
}
