// `grapevine keygen` (a new base64 AES-256 key), `grapevine keys list --keyring-file PATH` (the keys of
// a local keyring file) and, through a running agent, Serf's cluster-wide `keys install|use|remove|list`
// (internal queries; see docs/api.md#keys). Keys are shown by fingerprint: key material is never printed.
import { randomBytes } from 'node:crypto';
import { type Command, CommanderError } from 'commander';
import { readKeyringFile } from '../src/agent/config/keyring-file.js';
import { DEFAULT_QUERY_TIMEOUT_MS, MAX_QUERY_TIMEOUT_MS } from '../src/agent/http/query-api.js';
import type { KeysResult } from '../src/agent/keys/cluster-keys.js';
import { type KeyOp, keyFingerprint } from '../src/agent/keys/key-ops.js';
import { KEY_BYTES, KeyringError } from '../src/agent/wire/keyring.js';
import {
  AgentClientError,
  type AgentFlags,
  clientFor,
  reportingFailures,
  withAgentOptions,
} from './agent-client.js';
import { durationArg } from './cli-args.js';
import { type CliIo, EXIT_FAILURE } from './cli-io.js';

interface KeysFlags extends AgentFlags {
  timeout: number;
  keyringFile?: string;
}

export function registerKeys(program: Command, io: CliIo): void {
  program
    .command('keygen')
    .description('Print a new random AES-256 key, base64, for a keyring file.')
    .action(() => io.out(`${randomBytes(KEY_BYTES).toString('base64')}\n`));
  const keys = program
    .command('keys')
    .description('Rotate the gossip keyring across the cluster, or inspect a keyring file.');
  const clusterOp = (op: KeyOp, description: string) => {
    const cmd = keys.command(op).description(description);
    if (op !== 'list') cmd.argument('<key>', "base64 AES-256 key (from 'grapevine keygen')");
    cmd.option(
      '--timeout <duration>',
      'how long to wait for the members to answer',
      durationArg(1, MAX_QUERY_TIMEOUT_MS),
      DEFAULT_QUERY_TIMEOUT_MS,
    );
    if (op === 'list')
      cmd.option('--keyring-file <path>', 'list a local keyring file instead (no agent needed)');
    withAgentOptions(cmd).action(async function (this: Command, ...args: unknown[]) {
      const flags = (op === 'list' ? args[0] : args[1]) as KeysFlags;
      if (op === 'list' && flags.keyringFile !== undefined)
        return listFile(io, flags.keyringFile, flags.json);
      const client = clientFor(this, flags);
      await reportingFailures(io, async () => {
        const key = op === 'list' ? undefined : (args[0] as string);
        const r = await client.keys(op, key, flags.timeout);
        io.out(flags.json ? `${JSON.stringify(r)}\n` : formatKeysResult(r));
        if (r.failed > 0 || r.answered < r.members)
          throw new AgentClientError(
            `keys ${op}: ${r.failed} of ${r.answered} answering nodes failed; ${Math.max(0, r.members - r.answered)} did not answer`,
          );
      });
    });
  };
  clusterOp('install', 'Add KEY to every member’s keyring (as a secondary key).');
  clusterOp('use', 'Make KEY the primary (encrypting) key on every member; install it everywhere first.');
  clusterOp('remove', 'Remove KEY from every member’s keyring; it must not be the primary key.');
  clusterOp('list', 'List the keys of every member’s keyring by fingerprint (or of --keyring-file).');
}

function listFile(io: CliIo, path: string, json?: boolean): void {
  let list: Array<{ fingerprint: string; primary: boolean }>;
  try {
    list = readKeyringFile(path).keys.map((k, i) => ({ fingerprint: keyFingerprint(k), primary: i === 0 }));
  } catch (err) {
    if (!(err instanceof KeyringError)) throw err;
    io.err(`grapevine: ${err.message}\n`);
    throw new CommanderError(EXIT_FAILURE, 'grapevine.keys', err.message);
  }
  if (json) io.out(`${JSON.stringify(list)}\n`);
  else for (const k of list) io.out(`${k.fingerprint}${k.primary ? '  primary' : ''}\n`);
}

export function formatKeysResult(r: KeysResult): string {
  const lines: string[] = [];
  if (r.keys) {
    for (const k of r.keys)
      lines.push(
        `${k.fingerprint}  on ${k.nodes}/${r.answered} nodes${k.primary > 0 ? `, primary on ${k.primary}` : ''}`,
      );
  }
  for (const n of r.nodes) {
    if (!n.ok) lines.push(`${n.node}: failed: ${n.error ?? 'no reason given'}`);
    else if (r.op !== 'list')
      lines.push(
        `${n.node}: ok${n.persisted ? ' (keyring file written)' : n.note ? ` (${n.note})` : ' (no change)'}`,
      );
  }
  lines.push(`${r.answered} of ${r.members} nodes answered; ${r.failed} failed`);
  return `${lines.join('\n')}\n`;
}
