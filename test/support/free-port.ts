// A TCP port on 127.0.0.1 that was free a moment ago: tests bind a node there later, to have an
// address where nothing listens yet (a seed not started) without picking a fixed port.
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
