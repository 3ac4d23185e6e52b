// Serves an HttpApp over HTTP/1.1 on HOST:PORT with node:http: the agent's API and the operator's probe
// and metrics endpoints both use it. Closing ends open event streams (they would otherwise hold
// shutdown forever) and gives ordinary in-flight requests a short grace period.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatAddr, parseAddr } from './address.js';
import type { HttpApp } from './http-app.js';

export interface ServedApi {
  /** Base URL with the real port, e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

const CLOSE_GRACE_MS = 2_000;

export async function serveApi(app: HttpApp, hostPort: string): Promise<ServedApi> {
  const { host, port } = parseAddr(hostPort);
  const server = createServer(app.handle);
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${formatAddr(host, bound.port)}`,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        app.endStreams();
        // Connections whose last response just ended are idle now; close them too.
        setImmediate(() => server.closeIdleConnections());
      });
      return closing;
    },
  };
}
