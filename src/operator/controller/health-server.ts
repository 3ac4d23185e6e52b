// The operator's probe and metrics endpoints: /healthz (liveness: the process answers and no watch is
// hung — nothing a restart would not fix), /readyz (readiness: every informer has finished its initial
// list and none keeps failing; a deleted or not-yet-installed CRD makes the operator not ready, never
// dead, so the kubelet does not restart it in a loop; a follower that is not the leader is ready too,
// so rolling updates and PodDisruptionBudgets treat replicas alike) and /metrics (Prometheus text).
import { HttpApp } from '../../net/http-app.js';
import { type ServedApi, serveApi } from '../../net/serve-api.js';
import type { InformerHealth } from './resilient-informer.js';

/** What the probes need from an informer (ResilientInformer satisfies it). */
export interface ProbedInformer {
  readonly name: string;
  hasSynced(): boolean;
  health(): InformerHealth;
  readiness(): InformerHealth;
}

export interface MetricsSource {
  metrics(): Promise<string>;
  readonly contentType: string;
}

export interface HealthServerOptions {
  /** Read at each probe, so informers created later are included. */
  informers: () => ReadonlyArray<ProbedInformer>;
  metrics?: MetricsSource;
}

export function healthApp(options: HealthServerOptions): HttpApp {
  const app = new HttpApp();
  app.get('/healthz', (c) => {
    const problems = options
      .informers()
      .map((i) => i.health())
      .filter((h) => !h.healthy)
      .map((h) => h.reason ?? 'unhealthy');
    return problems.length === 0 ? c.text('ok\n') : c.text(`${problems.join('\n')}\n`, 503);
  });
  app.get('/readyz', (c) => {
    const waiting = options
      .informers()
      .map((i) => i.readiness())
      .filter((h) => !h.healthy)
      .map((h) => h.reason ?? 'not ready');
    return waiting.length === 0 ? c.text('ok\n') : c.text(`${waiting.join('\n')}\n`, 503);
  });
  app.get('/metrics', async (c) => {
    if (options.metrics === undefined) return c.text('no metrics\n', 404);
    return c.body(await options.metrics.metrics(), 200, { 'content-type': options.metrics.contentType });
  });
  return app;
}

export class HealthServer {
  private served: ServedApi | undefined;

  constructor(private readonly options: HealthServerOptions) {}

  /** Listens on HOST:PORT (port 0 picks a free one); resolves to the base URL. */
  async start(hostPort: string): Promise<string> {
    if (this.served !== undefined) throw new Error('health server already started');
    this.served = await serveApi(healthApp(this.options), hostPort);
    return this.served.url;
  }

  get url(): string | undefined {
    return this.served?.url;
  }

  async close(): Promise<void> {
    const served = this.served;
    this.served = undefined;
    await served?.close();
  }
}
