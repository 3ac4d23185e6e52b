// A tiny real HTTP server speaking the Kubernetes list/watch protocol for ConfigMaps in one namespace,
// with switches to make it misbehave the ways a real apiserver does: 500s, dropped watch connections,
// cleanly closed watches, and compaction (410 Gone for old resourceVersions, as an HTTP status or as an
// ERROR watch event followed by the server closing the stream).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

export interface FakeConfigMap {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: { name: string; namespace: string; resourceVersion: string; uid: string };
  data?: Record<string, string>;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
interface HistoryEvent {
  rv: number;
  type: EventType;
  object: FakeConfigMap;
}

export interface WatchRequest {
  resourceVersion: string | null;
  timeoutSeconds: string | null;
}

export class FakeApiServer {
  readonly namespace: string;
  private server: Server | undefined;
  private rv = 100;
  private compactedRv = 0;
  private readonly objects = new Map<string, FakeConfigMap>();
  private readonly history: HistoryEvent[] = [];
  private readonly watchers = new Set<ServerResponse>();
  /** Status codes to answer the next list requests with, in order. */
  readonly failLists: number[] = [];
  /** Status codes to answer the next watch requests with, in order. */
  readonly failWatches: number[] = [];
  /** While true, changes are recorded but not sent to open watches (a watch lagging behind). */
  holdEvents = false;
  /** Delay between taking a watch (counted in openWatches) and sending its response headers. */
  watchHeadersDelayMs = 0;
  listRequests = 0;
  readonly watchRequests: WatchRequest[] = [];
  url = '';

  constructor(namespace = 'x') {
    this.namespace = namespace;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    for (const res of this.watchers) res.destroy();
    this.watchers.clear();
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'fake' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake' }],
      currentContext: 'fake',
    });
    return kc;
  }

  get openWatches(): number {
    return this.watchers.size;
  }

  upsert(name: string, data: Record<string, string> = {}): FakeConfigMap {
    const existing = this.objects.get(name);
    const object: FakeConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace: this.namespace,
        resourceVersion: String(++this.rv),
        uid: existing?.metadata.uid ?? `uid-${name}`,
      },
      data,
    };
    this.objects.set(name, object);
    this.publish({ rv: this.rv, type: existing ? 'MODIFIED' : 'ADDED', object });
    return object;
  }

  remove(name: string): void {
    const existing = this.objects.get(name);
    if (existing === undefined) return;
    this.objects.delete(name);
    const object = { ...existing, metadata: { ...existing.metadata, resourceVersion: String(++this.rv) } };
    this.publish({ rv: this.rv, type: 'DELETED', object });
  }

  /** Forgets history: watches from any resourceVersion before now get 410 Gone. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history.length = 0;
  }

  /** Ends every open watch normally (what the apiserver does at timeoutSeconds). */
  endWatches(): void {
    for (const res of this.watchers) res.end();
    this.watchers.clear();
  }

  /** Drops every open watch connection abruptly (network failure, apiserver crash). */
  dropWatches(): void {
    for (const res of this.watchers) res.socket?.destroy();
    this.watchers.clear();
  }

  private publish(event: HistoryEvent): void {
    this.history.push(event);
    if (this.holdEvents) return;
    for (const res of this.watchers) writeEvent(res, event.type, event.object);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (req.method !== 'GET' || url.pathname !== `/api/v1/namespaces/${this.namespace}/configmaps`) {
      sendStatus(res, 404, 'NotFound', `no route ${req.method} ${url.pathname}`);
      return;
    }
    if (url.searchParams.get('watch') === 'true') this.watch(url, res);
    else this.list(res);
  }

  private list(res: ServerResponse): void {
    this.listRequests++;
    const fail = this.failLists.shift();
    if (fail !== undefined) {
      sendStatus(res, fail, 'InternalError', 'injected list failure');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMapList',
        metadata: { resourceVersion: String(this.rv) },
        items: [...this.objects.values()],
      }),
    );
  }

  private watch(url: URL, res: ServerResponse): void {
    const resourceVersion = url.searchParams.get('resourceVersion');
    this.watchRequests.push({ resourceVersion, timeoutSeconds: url.searchParams.get('timeoutSeconds') });
    const fail = this.failWatches.shift();
    if (fail !== undefined) {
      sendStatus(res, fail, fail === 410 ? 'Expired' : 'InternalError', 'injected watch failure');
      return;
    }
    if (this.watchHeadersDelayMs > 0) {
      // Open on the server, not yet on the client: the window a stop() can fall into.
      const delay = this.watchHeadersDelayMs;
      this.watchers.add(res);
      res.on('close', () => this.watchers.delete(res));
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        res.flushHeaders();
      }, delay);
      return;
    }
    const from = Number(resourceVersion || '0');
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders(); // like the apiserver: the client sees the watch open before any event
    if (resourceVersion && from < this.compactedRv) {
      // The real apiserver answers a too-old resourceVersion with an ERROR event, then ends the stream.
      writeEvent(res, 'ERROR', {
        apiVersion: 'v1',
        kind: 'Status',
        metadata: {},
        status: 'Failure',
        message: `too old resource version: ${from} (${this.compactedRv})`,
        reason: 'Expired',
        code: 410,
      });
      res.end();
      return;
    }
    for (const event of this.history) if (event.rv > from) writeEvent(res, event.type, event.object);
    this.watchers.add(res);
    res.on('close', () => this.watchers.delete(res));
  }
}

function writeEvent(res: ServerResponse, type: string, object: object): void {
  res.write(`${JSON.stringify({ type, object })}\n`);
}

function sendStatus(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Status',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code,
    }),
  );
}
