import { expect } from 'chai';
import { KEY_BYTES, Keyring, KeyringError, SEAL_OVERHEAD } from '../../src/agent/wire/keyring.js';

const key = (fill: number): Uint8Array => new Uint8Array(KEY_BYTES).fill(fill);
const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('wire/keyring', () => {
  it('seals with nonce | ciphertext | tag and opens with the same aad', () => {
    const ring = new Keyring([key(1)]);
    const aad = text('header');
    const sealed = ring.encrypt(text('hello'), aad);
    expect(sealed.length).to.equal(5 + SEAL_OVERHEAD);
    expect(Buffer.from(sealed).includes(Buffer.from('hello'))).to.equal(false);
    expect(ring.decrypt(sealed, aad)).to.deep.equal(text('hello'));
  });

  it('uses a fresh nonce per seal (random by default, injectable for tests)', () => {
    const ring = new Keyring([key(1)]);
    const a = ring.encrypt(text('x'), text(''));
    const b = ring.encrypt(text('x'), text(''));
    expect(a.subarray(0, 12)).not.to.deep.equal(b.subarray(0, 12));
    let n = 0;
    const fixed = new Keyring([key(1)], (size) => new Uint8Array(size).fill(++n));
    expect(fixed.encrypt(text('x'), text('')).subarray(0, 12)).to.deep.equal(new Uint8Array(12).fill(1));
    expect(fixed.encrypt(text('x'), text(''), new Uint8Array(12).fill(9)).subarray(0, 12)).to.deep.equal(
      new Uint8Array(12).fill(9),
    );
  });

  it('returns null for tampered ciphertext, tag or aad, short input, or an unknown key', () => {
    const ring = new Keyring([key(1)]);
    const aad = text('aad');
    const sealed = ring.encrypt(text('payload'), aad);
    for (const at of [0, 12, sealed.length - 1]) {
      const bad = Uint8Array.from(sealed);
      bad[at] = bad[at]! ^ 1;
      expect(ring.decrypt(bad, aad), `flip at ${at}`).to.equal(null);
    }
    expect(ring.decrypt(sealed, text('aaD'))).to.equal(null);
    expect(ring.decrypt(sealed.subarray(0, SEAL_OVERHEAD - 1), aad)).to.equal(null);
    expect(new Keyring([key(2)]).decrypt(sealed, aad)).to.equal(null);
  });

  it('seals with the primary and opens with any key (rotation)', () => {
    const old = new Keyring([key(1)]);
    const rotated = new Keyring([key(2), key(1)]);
    const sealedOld = old.encrypt(text('a'), text(''));
    expect(rotated.decrypt(sealedOld, text(''))).to.deep.equal(text('a'));
    const sealedNew = rotated.encrypt(text('b'), text(''));
    expect(old.decrypt(sealedNew, text(''))).to.equal(null);
    expect(new Keyring([key(1), key(2)]).decrypt(sealedNew, text(''))).to.deep.equal(text('b'));
  });

  it('fromBase64 accepts padded base64 of 32 bytes, primary first', () => {
    const ring = Keyring.fromBase64([b64(key(7)), ` ${b64(key(8))}\n`]);
    expect(ring.keys.length).to.equal(2);
    expect(ring.primary).to.deep.equal(key(7));
    expect(ring.keys[1]).to.deep.equal(key(8));
  });

  it('fromBase64 explains what is wrong with which key', () => {
    const good = b64(key(1));
    expect(() => Keyring.fromBase64([])).to.throw(KeyringError, 'at least one key');
    expect(() => Keyring.fromBase64([good, b64(new Uint8Array(16))])).to.throw(
      KeyringError,
      'key 2: expected 32 bytes after base64 decoding, got 16',
    );
    expect(() => Keyring.fromBase64(['not base64!!'])).to.throw(KeyringError, 'key 1: not valid base64');
    expect(() => Keyring.fromBase64([good.slice(0, -1)])).to.throw(KeyringError, 'key 1: not valid base64');
    expect(() => Keyring.fromBase64([good, ''])).to.throw(KeyringError, 'key 2: empty');
    expect(() => new Keyring([key(1), new Uint8Array(31)])).to.throw(
      KeyringError,
      'key 2: expected 32 bytes, got 31',
    );
  });

  it('copies its keys so later changes to the caller buffer do not matter', () => {
    const k = key(3);
    const ring = new Keyring([k]);
    const sealed = ring.encrypt(text('z'), text(''));
    k.fill(0);
    expect(ring.decrypt(sealed, text(''))).to.deep.equal(text('z'));
  });
});
