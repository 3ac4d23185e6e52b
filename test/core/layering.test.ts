// The agent's folders form layers: a folder may import its own files and the layers below it,
// never one above (so no two folders import each other's types).
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve('src/agent');
const LAYERS = ['base', 'wire', 'state', 'transport', 'core', 'runtime', 'sim'];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

describe('agent module layers', () => {
  it(`${LAYERS.join(' < ')}: no folder imports a folder above it`, () => {
    const violations: string[] = [];
    let checked = 0;
    for (const layer of LAYERS) {
      for (const file of files(join(ROOT, layer))) {
        const src = readFileSync(file, 'utf8');
        for (const m of src.matchAll(/from '(\.[^']+)'/g)) {
          const target = relative(ROOT, resolve(dirname(file), m[1]!)).split('/')[0]!;
          const rank = LAYERS.indexOf(target);
          checked++;
          if (rank > LAYERS.indexOf(layer)) violations.push(`${relative(ROOT, file)} → ${m[1]}`);
        }
      }
    }
    assert.ok(checked > 50, `only ${checked} imports seen: the scan is broken`);
    assert.deepEqual(violations, []);
  });

  it('the simulator-only modules (copy-on-write stores, shared start, divergence) are imported from sim/ alone', () => {
    const simOnly = [
      'cow-digest-tree',
      'cow-kv-store',
      'shared-member-table',
      'shared-start',
      'divergence',
    ].map((m) => join(ROOT, 'sim', `${m}.ts`));
    const importers: string[] = [];
    let checked = 0;
    for (const file of files(resolve('src'))) {
      if (file.startsWith(`${join(ROOT, 'sim')}/`)) continue;
      const src = readFileSync(file, 'utf8');
      for (const m of src.matchAll(/from '(\.[^']+)'/g)) {
        checked++;
        const target = resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts');
        if (simOnly.includes(target)) importers.push(`${relative(ROOT, file)} → ${m[1]}`);
      }
    }
    assert.ok(checked > 200, `only ${checked} imports seen: the scan is broken`);
    assert.deepEqual(importers, []);
  });

  it('the operator and the shared modules (src/net, src/contract) reach into the agent only for its config schema and wire limits', () => {
    // The schema and limits are the one source of truth both sides validate against; HTTP serving and
    // addresses are shared in src/net, the agent's HTTP contract in src/contract.
    const allowed = ['config', 'wire'];
    const reaching: string[] = [];
    let checked = 0;
    for (const dir of ['operator', 'net', 'contract']) {
      for (const file of files(resolve('src', dir))) {
        const src = readFileSync(file, 'utf8');
        for (const m of src.matchAll(/from '(\.[^']+)'/g)) {
          checked++;
          const target = relative(ROOT, resolve(dirname(file), m[1]!));
          if (target.startsWith('..')) continue;
          const folder = target.split('/')[0]!;
          if (dir !== 'operator' || !allowed.includes(folder))
            reaching.push(`${relative('src', file)} → ${m[1]}`);
        }
      }
    }
    assert.ok(checked > 50, `only ${checked} imports seen: the scan is broken`);
    assert.deepEqual(reaching, []);
  });
});
