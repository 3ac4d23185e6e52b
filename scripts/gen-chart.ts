// Writes the generated files of charts/grapevine (CRD copy, RBAC rules from src/operator/rbac.ts,
// values.schema.json, the Grafana dashboard). Re-run it after changing any of their sources.
// Usage: node --import tsx scripts/gen-chart.ts [--check]   (--check: exit 1 if a file is out of date)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GENERATED_FILES } from './chart/chart-files.js';

const check = process.argv.includes('--check');
let stale = 0;
for (const f of GENERATED_FILES) {
  const path = fileURLToPath(new URL(`../${f.path}`, import.meta.url));
  const next = f.text();
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined; // not generated yet
  }
  if (next === current) continue;
  if (check) {
    process.stderr.write(`${f.path} is out of date\n`);
    stale++;
  } else {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, next);
    process.stdout.write(`wrote ${f.path}\n`);
  }
}
if (stale > 0) {
  process.stderr.write('run: node --import tsx scripts/gen-chart.ts\n');
  process.exit(1);
}
