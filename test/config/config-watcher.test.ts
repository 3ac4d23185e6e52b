import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { type FileWatch, watchConfigFile } from '../../src/agent/config/config-watcher.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the changes seen once `count` have arrived (or rejects after `ms`). */
function collector() {
  const seen: string[] = [];
  let wake: (() => void) | undefined;
  return {
    seen,
    onChange: (text: string) => {
      seen.push(text);
      wake?.();
    },
    async waitFor(count: number, ms = 3000): Promise<void> {
      const deadline = Date.now() + ms;
      while (seen.length < count) {
        if (Date.now() > deadline) throw new Error(`saw ${seen.length} changes, expected ${count}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
    },
  };
}

// What the kubelet does: data lives in a timestamped directory, `..data` points at it, and the
// visible file is a symlink through `..data`; an update writes a new directory and renames a new
// `..data_tmp` symlink over `..data` (atomic), then deletes the old directory.
function configMapDir(root: string, content: string): { path: string; update(text: string): void } {
  let generation = 0;
  const writeGeneration = (text: string) => {
    const name = `..2024_01_01_00_00_0${generation++}.000000000`;
    mkdirSync(join(root, name));
    writeFileSync(join(root, name, 'agent.yaml'), text);
    return name;
  };
  let current = writeGeneration(content);
  symlinkSync(current, join(root, '..data'));
  symlinkSync('..data/agent.yaml', join(root, 'agent.yaml'));
  return {
    path: join(root, 'agent.yaml'),
    update(text) {
      const next = writeGeneration(text);
      symlinkSync(next, join(root, '..data_tmp'));
      renameSync(join(root, '..data_tmp'), join(root, '..data'));
      rmSync(join(root, current), { recursive: true });
      current = next;
    },
  };
}

describe('watchConfigFile', () => {
  let dir: string;
  let watch: FileWatch | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'grapevine-watch-'));
  });
  afterEach(() => {
    watch?.close();
    watch = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('notices a ConfigMap-style ..data symlink swap through fs.watch (polling off)', async () => {
    const cm = configMapDir(dir, 'logLevel: info\n');
    const c = collector();
    watch = watchConfigFile(cm.path, c.onChange, { pollMs: 0, debounceMs: 50 });
    cm.update('logLevel: debug\n');
    await c.waitFor(1);
    cm.update('logLevel: warn\n');
    await c.waitFor(2);
    expect(c.seen).to.deep.equal(['logLevel: debug\n', 'logLevel: warn\n']);
  });

  it('notices an in-place write of a plain file, debouncing a burst into one change', async () => {
    const path = join(dir, 'keyring');
    writeFileSync(path, 'k1\n');
    const c = collector();
    watch = watchConfigFile(path, c.onChange, { pollMs: 0, debounceMs: 150 });
    writeFileSync(path, 'k1\nk2\n');
    writeFileSync(path, 'k2\nk1\n');
    writeFileSync(path, 'k2\n');
    await c.waitFor(1);
    await sleep(400);
    expect(c.seen).to.deep.equal(['k2\n']);
  });

  it('does not report a rewrite with the same content', async () => {
    const path = join(dir, 'agent.yaml');
    writeFileSync(path, 'a: 1\n');
    const c = collector();
    watch = watchConfigFile(path, c.onChange, { pollMs: 50, debounceMs: 20 });
    writeFileSync(path, 'a: 1\n');
    await sleep(300);
    writeFileSync(path, 'a: 2\n'); // proves the watcher was alive during the quiet period
    await c.waitFor(1);
    expect(c.seen).to.deep.equal(['a: 2\n']);
  });

  it('finds changes by polling alone when file events are unavailable', async () => {
    const cm = configMapDir(dir, 'x: 1\n');
    const c = collector();
    watch = watchConfigFile(cm.path, c.onChange, { fsWatch: false, pollMs: 100 });
    cm.update('x: 2\n');
    await c.waitFor(1);
    expect(c.seen).to.deep.equal(['x: 2\n']);
  });

  it('survives the file disappearing and an onChange that throws, reporting both', async () => {
    const path = join(dir, 'agent.yaml');
    writeFileSync(path, 'a: 1\n');
    const errors: string[] = [];
    const c = collector();
    let calls = 0;
    watch = watchConfigFile(
      path,
      (text) => {
        calls++;
        if (calls === 1) throw new Error('bad config');
        c.onChange(text);
      },
      { pollMs: 100, debounceMs: 20, onError: (e) => errors.push(e.message) },
    );
    rmSync(path);
    await sleep(300);
    writeFileSync(path, 'a: 2\n');
    await sleep(300);
    writeFileSync(path, 'a: 3\n');
    await c.waitFor(1);
    expect(c.seen).to.deep.equal(['a: 3\n']);
    expect(errors).to.deep.equal([`cannot read ${path}: ENOENT`, 'bad config']);
  });

  it('reports nothing after close', async () => {
    const path = join(dir, 'agent.yaml');
    writeFileSync(path, 'a: 1\n');
    const c = collector();
    const w = watchConfigFile(path, c.onChange, { pollMs: 50, debounceMs: 20 });
    w.close();
    writeFileSync(path, 'a: 2\n');
    await sleep(250);
    expect(c.seen).to.deep.equal([]);
  });
});
