// The rule every real-apiserver test follows when the binaries are missing: a developer is told
// how to build them and the suite is skipped; on CI (CI set) it fails, so it never silently
// stops running there.
import { type BinaryKey, findKubeBinaries } from './kube-env-binaries.js';

/** Call from a mocha `before`/`it` (with `function`, not an arrow) as `skipWithoutKubeBinaries(this)`. */
export function skipWithoutKubeBinaries(ctx: Mocha.Context, need?: readonly BinaryKey[]): void {
  const lookup = findKubeBinaries(need);
  if (lookup.ok) return;
  if (process.env.CI) throw new Error(lookup.message);
  console.log(`    SKIPPED: ${lookup.message}`);
  ctx.skip();
}
