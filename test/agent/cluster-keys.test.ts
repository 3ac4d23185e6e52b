// Key operations on one agent's keyring (pure), and what an agent answers when its keyring file
// cannot be rewritten: the change is kept in memory and the answer says so.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ClusterKeys, type ClusterKeysHost, KeyOpRefused } from '../../src/agent/keys/cluster-keys.js';
import { applyKeyOp, keyFingerprint, keyOpOfQuery, keyQueryName } from '../../src/agent/keys/key-ops.js';
import { Keyring } from '../../src/agent/wire/keyring.js';

const key = (b: number) => new Uint8Array(32).fill(b);

function host(keyring: Keyring | null, file?: string): ClusterKeysHost & { current: Keyring | null } {
  const h = {
    current: keyring,
    keyring: () => h.current,
    setKeyring: (k: Keyring) => {
      h.current = k;
    },
    keyringFile: () => file,
    query: async () => {
      throw new Error('not sent in these tests');
    },
    liveMembers: () => 1,
  };
  return h;
}

describe('keys: key operations on one keyring', () => {
  it('install adds a secondary, use promotes it, remove drops a secondary; repeats change nothing', () => {
    let kr = new Keyring([key(1)]);
    let r = applyKeyOp(kr, 'install', key(2));
    expect(r.ok && r.changed).to.equal(true);
    kr = (r as { next: Keyring }).next;
    expect(kr.keys.map((k) => k[0])).to.deep.equal([1, 2]);
    r = applyKeyOp(kr, 'install', key(2));
    expect(r.ok && !r.changed).to.equal(true);
    r = applyKeyOp(kr, 'use', key(2));
    kr = (r as { next: Keyring }).next;
    expect(kr.keys.map((k) => k[0])).to.deep.equal([2, 1]);
    r = applyKeyOp(kr, 'remove', key(1));
    kr = (r as { next: Keyring }).next;
    expect(kr.keys.map((k) => k[0])).to.deep.equal([2]);
  });

  it('refuses: no encryption, a key not installed, the primary key, a wrong length', () => {
    expect(applyKeyOp(null, 'install', key(1))).to.deep.include({ ok: false });
    const kr = new Keyring([key(1)]);
    expect(applyKeyOp(kr, 'use', key(9))).to.deep.equal({
      ok: false,
      error: 'key not installed on this node: install it everywhere first',
    });
    expect(applyKeyOp(kr, 'remove', key(1))).to.deep.include({ ok: false });
    expect(applyKeyOp(kr, 'install', new Uint8Array(16))).to.deep.include({ ok: false });
  });

  it('names its internal queries and recognises only those', () => {
    expect(keyQueryName('install')).to.equal('_grapevine-install-key');
    expect(keyOpOfQuery('_grapevine-use-key')).to.equal('use');
    expect(keyOpOfQuery('_grapevine-other')).to.equal(undefined);
  });
});

describe('keys: an agent applying a cluster-wide operation', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), 'gv-keys-'));
  });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('rewrites its keyring file (temp file + rename) and applies the keyring live', () => {
    const file = join(tmp, 'keyring');
    writeFileSync(file, `${Buffer.from(key(1)).toString('base64')}\n`);
    const h = host(new Keyring([key(1)]), file);
    const a = new ClusterKeys(h).answer('install', key(2));
    expect(a).to.deep.equal({
      ok: true,
      keys: [keyFingerprint(key(1)), keyFingerprint(key(2))],
      persisted: true,
    });
    expect(readFileSync(file, 'utf8').trim().split('\n')).to.have.length(2);
    expect(h.current?.keys).to.have.length(2);
  });

  it('keeps the change in memory and says so when the file cannot be written', () => {
    const file = join(tmp, 'missing-dir', 'keyring');
    const h = host(new Keyring([key(1)]), file);
    const a = new ClusterKeys(h).answer('install', key(2));
    expect(a.ok).to.equal(true);
    expect(a.persisted).to.equal(false);
    expect(a.note).to.match(/keyring file not writable \(ENOENT\): changed in memory only/);
    expect(h.current?.keys).to.have.length(2);
  });

  it('the origin refuses before sending: plaintext, the primary key, a wrong key size', async () => {
    const refusal = async (keys: ClusterKeys, run: (k: ClusterKeys) => Promise<unknown>) => {
      try {
        await run(keys);
      } catch (err) {
        expect(err).to.be.instanceOf(KeyOpRefused);
        return (err as Error).message;
      }
      return expect.fail('not refused');
    };
    expect(await refusal(new ClusterKeys(host(null)), (k) => k.run('install', key(2), 1000))).to.match(
      /encryption is off/,
    );
    const encrypted = new ClusterKeys(host(new Keyring([key(1)])));
    expect(await refusal(encrypted, (k) => k.run('remove', key(1), 1000))).to.match(/primary key/);
    expect(await refusal(encrypted, (k) => k.run('use', new Uint8Array(8), 1000))).to.match(/32 bytes/);
  });
});
