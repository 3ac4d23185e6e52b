// The build output: the `grapevine` CLI bundled by esbuild into dist/cmd/grapevine.js plus the chunks
// its lazy imports load (dist/cmd/chunks/), and the demo page's static files in dist/page/.
//   node scripts/bundle.mjs [--outdir dist]
// One bundle instead of ~260 module files halves an agent's start-up CPU (docs/benchmarks.md, "Agent
// start-up"). Code splitting keeps each `import()` lazy: `grapevine members` never loads the agent, the
// agent never loads the operator. @kubernetes/client-node stays a package in node_modules (only the
// operator loads it, and its model schema reads the package's own .d.ts files at run time).
// Plain JavaScript so that the image's build stage can run it with node alone; the typecheck is tsc's
// (`npm run build` runs both).
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Parts of bundled packages that their index loads whether used or not, and Grapevine never uses:
 * - prom-client's Pushgateway (node:https, hence TLS) and cluster aggregator (node:cluster): ~2 MB
 *   RSS and ~35 ms of CPU in every agent;
 * - pino's transports (`pino.transport()`: thread-stream, hence node:worker_threads and a worker's
 *   plumbing); Grapevine logs to a destination stream in-process.
 * Each gets a stand-in that says so if anything ever calls it.
 */
const UNUSED = [
  { importer: /[\\/]prom-client[\\/]index\.js$/, path: /^\.\/lib\/(pushgateway|cluster)$/ },
  { importer: /[\\/]pino[\\/]pino\.js$/, path: /^\.\/lib\/transport$/ },
  { importer: /[\\/]pino[\\/]lib[\\/]tools\.js$/, path: /^\.\/transport$/ },
];
const unusedParts = {
  name: 'unused-parts',
  setup(b) {
    b.onResolve({ filter: /^\.\// }, (args) =>
      UNUSED.some((u) => u.importer.test(args.importer) && u.path.test(args.path))
        ? { path: `${args.importer.split(/node_modules[\\/]/).pop()}: ${args.path}`, namespace: 'unused' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'unused' }, (args) => ({
      contents: `module.exports = function unused() { throw new Error(${JSON.stringify(`${args.path} is not in the grapevine bundle (scripts/bundle.mjs)`)}); };`,
      loader: 'js',
    }));
  },
};
const { values } = parseArgs({ options: { outdir: { type: 'string', default: join(ROOT, 'dist') } } });
const outdir = values.outdir;

for (const stale of ['cmd', 'src', 'page']) rmSync(join(outdir, stale), { recursive: true, force: true });
await build({
  absWorkingDir: ROOT,
  entryPoints: ['cmd/grapevine.ts'],
  outdir: join(outdir, 'cmd'),
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['@kubernetes/client-node'],
  plugins: [unusedParts],
  // Bundled CommonJS packages (pino, prom-client, yaml …) call require() for Node's built-ins; an ES
  // module has no require, so every output file gets one (esbuild keeps the shebang line first).
  banner: {
    js: "import { createRequire as __grapevineCreateRequire } from 'node:module';\nconst require = __grapevineCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
cpSync(join(ROOT, 'src', 'demo', 'page'), join(outdir, 'page'), { recursive: true });
