// The agent's version for grapevine_agent_info: the `version` of the package.json this code ships in,
// found by walking up from this file (the layout differs between src/ under tsx and dist/).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function agentVersion(): string {
  if (cached !== undefined) return cached;
  cached = 'unknown';
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg: unknown = JSON.parse(readFileSync(file, 'utf8'));
        if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') {
          cached = pkg.version;
        }
      } catch {
        // An unreadable package.json leaves the version 'unknown'; metrics must not fail over it.
      }
      return cached;
    }
    const up = dirname(dir);
    if (up === dir) return cached;
    dir = up;
  }
}
