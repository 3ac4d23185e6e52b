// The membership-view digest, exported twice: as a label (readable, for dashboards) and as a
// number (for PromQL: agents with equal values hold the same view).
import { Gauge, type Registry } from 'prom-client';
import { digestNumber } from './digest-number.js';

export function registerViewDigest(registry: Registry, prefix: string, digest: () => string): void {
  let current: string | null = null;
  const info: Gauge<'digest'> = new Gauge({
    name: `${prefix}view_digest_info`,
    help: 'Always 1; the digest label is the current membership-view digest of this agent.',
    labelNames: ['digest'],
    registers: [registry],
    collect: () => {
      const d = digest();
      if (d === current) return;
      // One series at a time: the old digest's series disappears when the view changes.
      if (current !== null) info.remove({ digest: current });
      info.set({ digest: d }, 1);
      current = d;
    },
  });
  const numeric: Gauge = new Gauge({
    name: `${prefix}view_digest`,
    help: 'The membership-view digest as a 48-bit number; equal on all agents when their views have converged.',
    registers: [registry],
    collect: () => numeric.set(digestNumber(digest())),
  });
}
