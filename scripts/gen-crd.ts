// Writes crds/gossipclusters.grapevine.dev.yaml from the TypeBox schemas.
// Usage: node --import tsx scripts/gen-crd.ts [--check]   (--check: exit 1 if the file is out of date)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CRD_FILE, gossipClusterCrdYaml } from '../src/operator/api/crd-yaml.js';

const path = fileURLToPath(new URL(`../${CRD_FILE}`, import.meta.url));
const next = gossipClusterCrdYaml();
let current: string | undefined;
try {
  current = readFileSync(path, 'utf8');
} catch {
  current = undefined; // not generated yet
}
if (process.argv.includes('--check')) {
  if (next !== current) {
    process.stderr.write(`${CRD_FILE} is out of date; run: node --import tsx scripts/gen-crd.ts\n`);
    process.exit(1);
  }
} else if (next !== current) {
  writeFileSync(path, next);
  process.stdout.write(`wrote ${CRD_FILE}\n`);
}
