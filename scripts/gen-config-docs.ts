// Regenerates the flag and reload tables of docs/configuration.md from the config schemas.
// Usage: node --import tsx scripts/gen-config-docs.ts [--check]   (--check: exit 1 if out of date)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { updateGeneratedSections } from '../src/agent/config/config-docs.js';

const docPath = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));
const current = readFileSync(docPath, 'utf8');
const next = updateGeneratedSections(current);
if (process.argv.includes('--check')) {
  if (next !== current) {
    process.stderr.write(
      'docs/configuration.md is out of date; run: node --import tsx scripts/gen-config-docs.ts\n',
    );
    process.exit(1);
  }
} else if (next !== current) {
  writeFileSync(docPath, next);
  process.stdout.write('updated docs/configuration.md\n');
}
