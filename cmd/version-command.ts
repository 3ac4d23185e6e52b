// `grapevine version` (and `--version`): this build's version and the wire protocol it speaks.
import type { Command } from 'commander';
import { agentVersion } from '../src/agent/metrics/agent-version.js';
import { WIRE_VERSION } from '../src/agent/wire/packet-codec.js';
import type { CliIo } from './cli-io.js';

export function versionText(): string {
  return `grapevine ${agentVersion()} (wire protocol ${WIRE_VERSION}, node ${process.version})`;
}

export function registerVersion(program: Command, io: CliIo): void {
  program.version(versionText(), '-V, --version', 'print the version and exit');
  program
    .command('version')
    .description(
      'Print the version of this grapevine, the wire protocol it speaks and the Node.js it runs on.',
    )
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) => {
      const v = { version: agentVersion(), protocol: WIRE_VERSION, node: process.version };
      io.out(flags.json ? `${JSON.stringify(v)}\n` : `${versionText()}\n`);
    });
}
