// Unit tests for the agent Secrets: names chosen from the spec, content checks, generation, and the
// token lookup the status collector uses. The real-apiserver tests are in operator-apply.test.ts.
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import { expect } from 'chai';
import type { GossipCluster, GossipClusterSpec } from '../../src/operator/api/gossipcluster-schema.js';
import { resolveSpec } from '../../src/operator/api/resolve-spec.js';
import { ensureAgentSecrets } from '../../src/operator/secrets/agent-secrets.js';
import { apiTokenFor } from '../../src/operator/secrets/api-token.js';
import { keyringProblem, tokenProblem } from '../../src/operator/secrets/secret-content.js';

const cr: GossipCluster = {
  apiVersion: 'grapevine.dev/v1alpha1',
  kind: 'GossipCluster',
  metadata: { name: 'web', namespace: 'ns', uid: 'uid-web' },
  spec: {} as GossipClusterSpec,
};
const spec = (input: unknown): GossipClusterSpec => {
  const r = resolveSpec(input);
  if (!r.ok) throw new Error(r.problems.join('; '));
  return r.spec;
};
const secret = (name: string, data: Record<string, string>, owner?: string): V1Secret => ({
  metadata: {
    name,
    namespace: 'ns',
    ...(owner
      ? {
          ownerReferences: [
            { apiVersion: 'x', kind: 'GossipCluster', name: 'web', uid: owner, controller: true },
          ],
        }
      : {}),
  },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});
const KEY = Buffer.alloc(32, 1).toString('base64');
const ref = { name: 'k', key: 'keyring', generated: false };

function store(initial: V1Secret[] = []) {
  const secrets = new Map(initial.map((s) => [s.metadata!.name!, s]));
  const created: KubernetesObject[] = [];
  return {
    secrets,
    created,
    io: {
      read: async (_ns: string, name: string) => secrets.get(name),
      create: async (s: KubernetesObject) => {
        created.push(s);
        secrets.set(s.metadata!.name!, s as V1Secret);
      },
      random: (n: number) => new Uint8Array(n).fill(9),
    },
  };
}

describe('agent Secrets', () => {
  it('keyring: missing, without the key, malformed, wrong key size, valid', () => {
    expect(keyringProblem(undefined, ref)).to.match(/keyring Secret k does not exist/);
    expect(keyringProblem(secret('k', { other: KEY }), ref)).to.match(/has no key keyring \(it has: other\)/);
    expect(keyringProblem(secret('k', { keyring: 'not base64!' }), ref)).to.match(/malformed: .*line 1/);
    expect(keyringProblem(secret('k', { keyring: Buffer.alloc(16).toString('base64') }), ref)).to.match(
      /malformed: .*32 bytes/,
    );
    expect(keyringProblem(secret('k', { keyring: `${KEY}\n# old\n` }), ref)).to.equal(undefined);
  });

  it('token: missing, too short, with whitespace, valid', () => {
    const t = { name: 't', key: 'token', generated: false };
    expect(tokenProblem(undefined, t)).to.match(/does not exist/);
    expect(tokenProblem(secret('t', { token: 'short' }), t)).to.match(/at least 16/);
    expect(tokenProblem(secret('t', { token: 'has some spaces in it' }), t)).to.match(/without whitespace/);
    expect(tokenProblem(secret('t', { token: 'abcdefghijklmnop\n' }), t)).to.equal(undefined);
  });

  it('generates the keyring and token Secrets once, owned by the GossipCluster', async () => {
    const s = store();
    const first = await ensureAgentSecrets(cr, spec({ encryption: {} }), s.io);
    expect(first).to.deep.equal({ problems: [], created: ['web-keyring', 'web-api-token'] });
    for (const c of s.created) {
      expect(c.metadata?.ownerReferences?.[0]).to.include({ uid: 'uid-web', controller: true });
      expect(c.metadata?.labels).to.include({ 'app.kubernetes.io/managed-by': 'grapevine-operator' });
    }
    expect(keyringProblem(s.secrets.get('web-keyring'), { ...ref, name: 'web-keyring' })).to.equal(undefined);
    const again = await ensureAgentSecrets(cr, spec({ encryption: {} }), s.io);
    expect(again).to.deep.equal({ problems: [], created: [] });
    expect(s.created).to.have.length(2);
  });

  it("never takes over a Secret with a generated name that is someone else's", async () => {
    const s = store([secret('web-api-token', { token: 'user-owned-token-value' })]);
    const r = await ensureAgentSecrets(cr, spec({}), s.io);
    expect(r.problems).to.have.length(1);
    expect(r.problems[0]!.reason).to.equal('ObjectNotOwned');
    expect(r.problems[0]!.message).to.match(/Secret ns\/web-api-token already exists/);
    expect(s.created).to.deep.equal([]);
  });

  it("reports the user's missing or malformed Secrets with a reason each, and generates nothing for them", async () => {
    const s = store([secret('keys', { keyring: 'junk' })]);
    const r = await ensureAgentSecrets(
      cr,
      spec({ encryption: { secretRef: { name: 'keys' } }, api: { tokenSecretRef: { name: 'tok' } } }),
      s.io,
    );
    expect(r.problems.map((p) => p.reason)).to.deep.equal([
      'EncryptionSecretInvalid',
      'ApiTokenSecretInvalid',
    ]);
    expect(s.created).to.deep.equal([]);
  });

  it('apiTokenFor: the token of the generated or named Secret, undefined while unusable', async () => {
    const s = store([
      secret('web-api-token', { token: 'generated-token-0123\n' }, 'uid-web'),
      secret('mine', { t: 'short' }),
    ]);
    expect(await apiTokenFor(cr, spec({}), s.io.read)).to.equal('generated-token-0123');
    expect(
      await apiTokenFor(cr, spec({ api: { tokenSecretRef: { name: 'mine', key: 't' } } }), s.io.read),
    ).to.equal(undefined);
    expect(await apiTokenFor(cr, spec({ api: { tokenSecretRef: { name: 'absent' } } }), s.io.read)).to.equal(
      undefined,
    );
  });
});
