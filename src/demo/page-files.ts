// The page's static files (plain HTML/JS/CSS): <root>/src/demo/page/ in the sources, copied to
// <root>/dist/page/ by the build (scripts/bundle.mjs); the built output falls back to the sources
// when dist/page/ is absent.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isBuilt, packageRoot } from '../agent/base/package-root.js';

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

export function defaultPageDir(moduleUrl: string = import.meta.url): string {
  const root = packageRoot(moduleUrl) ?? '.';
  const built = join(root, 'dist', 'page');
  if (isBuilt(moduleUrl) && existsSync(join(built, 'index.html'))) return built;
  return join(root, 'src', 'demo', 'page');
}

/** Reads one file of the page; null for names outside the page's flat set of files. */
export async function readPageFile(
  dir: string,
  name: string,
): Promise<{ body: Buffer; type: string } | null> {
  const m = /^[a-z][a-z0-9-]*\.(html|js|css|svg)$/.exec(name);
  const type = m?.[1] ? CONTENT_TYPES[m[1]] : undefined;
  if (!type) return null;
  try {
    return { body: await readFile(join(dir, name)), type };
  } catch {
    return null;
  }
}
