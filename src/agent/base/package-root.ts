// The directory of the package.json this code ships in, found by walking up from a module's URL. The
// layout differs between the sources (src/… under tsx) and the build (dist/cmd/… and its chunks), so
// files next to the package (its version, the built entry, the demo page) are found from there.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The nearest directory at or above moduleUrl's that holds a package.json; null if none does. */
export function packageRoot(moduleUrl: string): string | null {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** True when moduleUrl is compiled JavaScript (the build), not TypeScript run through tsx. */
export function isBuilt(moduleUrl: string): boolean {
  return /\.m?js$/.test(new URL(moduleUrl).pathname);
}
