// The membership-view digest as a number, for PromQL: agents with equal values hold the same view.
// (A label form, `view_digest_info{digest}`, was dropped: it minted a new series on every agent at
// every membership change — about a thousand new series per change at 1,000 nodes.)
import { Gauge, type Registry } from 'prom-client';
import { digestNumber } from './digest-number.js';

export function registerViewDigest(registry: Registry, prefix: string, digest: () => string): void {
  const numeric: Gauge = new Gauge({
    name: `${prefix}view_digest`,
    help: 'The membership-view digest as a 48-bit number; equal on all agents when their views have converged.',
    registers: [registry],
    collect: () => numeric.set(digestNumber(digest())),
  });
}
