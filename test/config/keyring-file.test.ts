import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseKeyringText, readKeyringFile } from '../../src/agent/config/keyring-file.js';
import { KeyringError } from '../../src/agent/wire/keyring.js';

const key = () => randomBytes(32).toString('base64');

function keyringError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof KeyringError)) throw err;
    expect(err.message).to.not.include('\n');
    return err.message;
  }
  throw new Error('expected a KeyringError');
}

describe('keyring file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'grapevine-keyring-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads keys in order, skipping blank lines and comments, primary first', () => {
    const [a, b] = [key(), key()];
    const path = join(dir, 'keyring');
    writeFileSync(path, `# rotated 2024-05\n\n${a}   # primary\r\n  ${b}\n\n`);
    const ring = readKeyringFile(path);
    expect(ring.keys.map((k) => Buffer.from(k).toString('base64'))).to.deep.equal([a, b]);
    expect(Buffer.from(ring.primary).toString('base64')).to.equal(a);
  });

  it('a ring read from a file seals what a ring of the same keys opens', () => {
    const [a, b] = [key(), key()];
    const path = join(dir, 'keyring');
    writeFileSync(path, `${b}\n${a}\n`);
    const fromFile = readKeyringFile(path);
    const other = parseKeyringText(`${a}\n${b}\n`, 'other'); // a node that has not promoted b yet
    const aad = new Uint8Array([1, 2, 3]);
    const sealed = fromFile.encrypt(new TextEncoder().encode('hello'), aad);
    expect(new TextDecoder().decode(other.decrypt(sealed, aad) ?? new Uint8Array())).to.equal('hello');
  });

  it('names a missing file', () => {
    const path = join(dir, 'nope');
    expect(keyringError(() => readKeyringFile(path))).to.equal(`keyring file not found: ${path}`);
  });

  it('rejects a file without keys', () => {
    const path = join(dir, 'keyring');
    writeFileSync(path, '# keys go here\n\n');
    expect(keyringError(() => readKeyringFile(path))).to.equal(
      `keyring file ${path}: no keys (expected base64 AES-256 keys, one per line)`,
    );
  });

  it('names the line of a bad key', () => {
    const good = key();
    expect(keyringError(() => parseKeyringText(`${good}\n\nnot base64!\n`, 'k'))).to.equal(
      'keyring file k: line 3: not valid base64 (expected 32 random bytes, base64-encoded)',
    );
    const short = randomBytes(16).toString('base64');
    expect(keyringError(() => parseKeyringText(`# c\n${good}\n${short}\n`, 'k'))).to.equal(
      'keyring file k: line 3: expected 32 bytes after base64 decoding, got 16',
    );
  });
});
