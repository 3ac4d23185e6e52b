// Reads the gossip encryption keyring from a file (typically a mounted Secret): one base64 AES-256
// key per line, primary first; blank lines and `#` comments are ignored. Errors name the file and line.
import { readFileSync } from 'node:fs';
import { Keyring, KeyringError } from '../wire/keyring.js';

export function readKeyringFile(
  path: string,
  readFile: (p: string) => string = (p) => readFileSync(p, 'utf8'),
): Keyring {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KeyringError(`keyring file not found: ${path}`);
    throw new KeyringError(`cannot read keyring file ${path}: ${code ?? (err as Error).message}`);
  }
  return parseKeyringText(text, path);
}

/** Parses keyring file content; `label` (the path) prefixes every error. */
export function parseKeyringText(text: string, label: string): Keyring {
  const keys: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim(); // base64 never contains '#'
    if (line === '') return;
    try {
      Keyring.fromBase64([line]);
    } catch (err) {
      // Keyring numbers keys; in a file the line number is what the reader can find.
      const reason = (err as Error).message.replace(/^key \d+: /, '');
      throw new KeyringError(`keyring file ${label}: line ${i + 1}: ${reason}`);
    }
    keys.push(line);
  });
  if (keys.length === 0) {
    throw new KeyringError(`keyring file ${label}: no keys (expected base64 AES-256 keys, one per line)`);
  }
  return Keyring.fromBase64(keys);
}
