// `grapevine keygen` (a new base64 AES-256 key) and `grapevine keys list --keyring-file PATH` (the
// keys of a local keyring file, by fingerprint: key material is never printed). Cluster-wide key
// rotation through gossip (Serf's keys install|use|remove) needs protocol messages the core does not
// have yet; today keys rotate by editing the keyring file (docs/configuration.md#rotating-keys).
import { createHash, randomBytes } from 'node:crypto';
import { type Command, CommanderError } from 'commander';
import { readKeyringFile } from '../src/agent/config/keyring-file.js';
import { KEY_BYTES, KeyringError } from '../src/agent/wire/keyring.js';
import { type CliIo, EXIT_FAILURE } from './cli-io.js';

/** First 16 hex digits of the key's SHA-256: enough to tell keys apart, useless to an attacker. */
export function keyFingerprint(key: Uint8Array): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

export function registerKeys(program: Command, io: CliIo): void {
  program
    .command('keygen')
    .description('Print a new random AES-256 key, base64, for a keyring file.')
    .action(() => io.out(`${randomBytes(KEY_BYTES).toString('base64')}\n`));
  const keys = program.command('keys').description('Inspect a gossip keyring file.');
  keys
    .command('list')
    .description('List the keys of a keyring file by fingerprint, primary first.')
    .requiredOption('--keyring-file <path>', 'the keyring file (one base64 key per line, primary first)')
    .option('--json', 'print JSON')
    .action((flags: { keyringFile: string; json?: boolean }) => {
      let list: Array<{ fingerprint: string; primary: boolean }>;
      try {
        list = readKeyringFile(flags.keyringFile).keys.map((k, i) => ({
          fingerprint: keyFingerprint(k),
          primary: i === 0,
        }));
      } catch (err) {
        if (!(err instanceof KeyringError)) throw err;
        io.err(`grapevine: ${err.message}\n`);
        throw new CommanderError(EXIT_FAILURE, 'grapevine.keys', err.message);
      }
      if (flags.json) io.out(`${JSON.stringify(list)}\n`);
      else for (const k of list) io.out(`${k.fingerprint}${k.primary ? '  primary' : ''}\n`);
    });
}
