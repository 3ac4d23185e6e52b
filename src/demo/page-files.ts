// The page's static files (plain HTML/JS/CSS). tsc does not copy them into dist/, so from the built
// output we fall back to the sources at <root>/src/demo/page/ when dist/src/demo/page/ is absent.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

export function defaultPageDir(moduleUrl: string = import.meta.url): string {
  const beside = fileURLToPath(new URL('./page/', moduleUrl));
  if (existsSync(join(beside, 'index.html'))) return beside;
  // dist/src/demo/ → <root>/src/demo/page/
  return fileURLToPath(new URL('../../../src/demo/page/', moduleUrl));
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
