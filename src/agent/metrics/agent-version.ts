// The agent's version for grapevine_agent_info: the `version` of the package.json this code ships in.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../base/package-root.js';

let cached: string | undefined;

export function agentVersion(): string {
  if (cached !== undefined) return cached;
  cached = 'unknown';
  const root = packageRoot(import.meta.url);
  if (root === null) return cached;
  try {
    const pkg: unknown = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string') {
      cached = pkg.version;
    }
  } catch {
    // An unreadable package.json leaves the version 'unknown'; metrics must not fail over it.
  }
  return cached;
}
