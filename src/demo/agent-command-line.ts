// How the demo starts one `grapevine agent` process. From the built output (dist/) it runs the
// bundled entry with plain node; from the sources it runs cmd/grapevine.ts through tsx, imported by
// absolute URL so it resolves whatever the current directory is.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isBuilt, packageRoot } from '../agent/base/package-root.js';

/** A program plus the arguments that come before `agent …`. */
export interface GrapevineCommand {
  file: string;
  args: string[];
}

/** Protocol timings fast enough that a failure is visible on the page within a few seconds. */
export const DEMO_TIMINGS: readonly string[] = [
  '--probe-interval-ms',
  '500',
  '--probe-timeout-ms',
  '200',
  '--gossip-interval-ms',
  '100',
  '--suspicion-mult',
  '3',
];

/** V8 flags of the `grapevine` bin (its shebang line): see docs/benchmarks.md#agent-memory. */
export const AGENT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/** The bundled entry point the build writes (scripts/bundle.mjs), relative to the package root. */
export const BUILT_ENTRY = join('dist', 'cmd', 'grapevine.js');

export function defaultGrapevineCommand(moduleUrl: string = import.meta.url): GrapevineCommand {
  // Built, this code sits in one of dist/cmd/'s bundle files; from the sources, at src/demo/.
  const root = packageRoot(moduleUrl);
  const builtEntry = root === null ? null : join(root, BUILT_ENTRY);
  if (isBuilt(moduleUrl) && builtEntry !== null && existsSync(builtEntry)) {
    // The same V8 flags as the bin's shebang (cmd/grapevine.ts), which `node FILE` does not read.
    return { file: process.execPath, args: [...AGENT_NODE_FLAGS, builtEntry] };
  }
  const sourceEntry = join(root ?? packageRoot(import.meta.url) ?? '.', 'cmd', 'grapevine.ts');
  // createRequire, not import.meta.resolve: this module may itself be loaded as CommonJS by tsx.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { file: process.execPath, args: ['--import', tsx, sourceEntry] };
}

export interface AgentSpec {
  name: string;
  host: string;
  gossipPort: number;
  httpPort: number;
  /** Gossip address of a running agent to join; none for the first agent. */
  join: string | null;
  /** More `grapevine agent` flags, e.g. ['--direct-mail-enabled', 'false']. */
  extra?: readonly string[];
}

export function agentArgs(spec: AgentSpec): string[] {
  return [
    'agent',
    '--name',
    spec.name,
    '--bind',
    `${spec.host}:${spec.gossipPort}`,
    '--http',
    `${spec.host}:${spec.httpPort}`,
    // Retried: an agent the page restarts may find its seed killed or frozen, and must not exit.
    ...(spec.join ? ['--join', spec.join, '--retry-join', 'true'] : []),
    '--log-level',
    'warn',
    ...DEMO_TIMINGS,
    ...(spec.extra ?? []),
  ];
}
