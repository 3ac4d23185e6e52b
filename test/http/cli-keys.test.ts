// Cluster-wide key rotation (issue 11: `keys install|use|remove|list`) through the real command tree
// against real encrypted agent processes on UDP: install a new key everywhere, use it, remove the old
// one; the cluster still gossips, the files are rewritten, and an agent holding only the old key can
// no longer join. Also the refusals: plaintext cluster, removing the primary key, using a key that
// is not installed.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { MemberView } from '../../src/agent/agent-api.js';
import type { KeysResult } from '../../src/agent/keys/cluster-keys.js';
import { keyFingerprint } from '../../src/agent/keys/key-ops.js';
import { agentArgs } from '../hardening/helpers.js';
import { AgentProcess } from '../support/agent-process.js';
import { eventually } from '../support/process-cluster.js';
import { runGrapevine } from '../support/run-cli.js';

const base = (name: string) => agentArgs(name);
const fp = (b64: string) => keyFingerprint(Buffer.from(b64, 'base64'));

describe('cmd: cluster-wide keys against real encrypted agents', function () {
  this.timeout(120_000);
  const agents: AgentProcess[] = [];
  const names = ['k-1', 'k-2', 'k-3'];
  let tmp: string;
  let oldKey: string;
  let newKey: string;
  const cli = (agent: AgentProcess, ...argv: string[]) => runGrapevine(...argv, '--agent', agent.url);
  const keyringOf = (name: string) => join(tmp, `${name}.keyring`);
  const eventsOf = (name: string) => join(tmp, `${name}.events`);
  const keysJson = async (agent: AgentProcess, ...argv: string[]) => {
    const r = await cli(agent, 'keys', ...argv, '--timeout', '2s', '--json');
    return { ...r, result: r.out ? (JSON.parse(r.out) as KeysResult) : undefined };
  };

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'gv-cli-keys-'));
    oldKey = (await runGrapevine('keygen')).out.trim();
    newKey = (await runGrapevine('keygen')).out.trim();
    const handler = join(tmp, 'handler.sh');
    writeFileSync(
      handler,
      `#!/bin/sh\n[ "$GRAPEVINE_EVENT" = user ] && echo "$GRAPEVINE_USER_EVENT" >> "${tmp}/$GRAPEVINE_SELF_NAME.events"\nexit 0\n`,
    );
    for (const [i, name] of names.entries()) {
      writeFileSync(keyringOf(name), `${oldKey}\n`);
      const join = i === 0 ? [] : ['--join', agents[0]!.gossipAddr];
      agents.push(
        await AgentProcess.start([
          ...base(name),
          '--keyring-file',
          keyringOf(name),
          '--event-handler',
          `sh ${handler}`,
          ...join,
        ]),
      );
    }
    expect(
      await eventually(
        async () =>
          (
            await Promise.all(
              agents.map(async (a) =>
                (await a.json<MemberView[]>('/v1/members')).filter((m) => m.state === 'alive'),
              ),
            )
          ).every((alive) => alive.length === 3),
        20_000,
      ),
    ).to.equal(true);
  });
  after(async () => {
    for (const a of agents) await a.stop('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses to use a key that is not installed, and to remove the primary key', async () => {
    const use = await keysJson(agents[0]!, 'use', newKey);
    expect(use.code).to.equal(1);
    expect(use.result?.failed).to.equal(3);
    expect(use.result?.nodes.map((n) => n.error)).to.deep.equal(
      Array(3).fill('key not installed on this node: install it everywhere first'),
    );
    const remove = await cli(agents[1]!, 'keys', 'remove', oldKey);
    expect(remove.code).to.equal(1);
    expect(remove.err).to.match(/this key is the primary key: 'keys use' another key first/);
  });

  it('install, use, remove: every node answers, files are rewritten, the cluster still gossips', async () => {
    const install = await cli(agents[1]!, 'keys', 'install', newKey, '--timeout', '2s');
    expect(install.code, install.err).to.equal(0);
    expect(install.out).to.match(/^k-1: ok \(keyring file written\)$/m);
    expect(install.out).to.match(/^3 of 3 nodes answered; 0 failed$/m);

    const list = await keysJson(agents[2]!, 'list');
    expect(list.code, list.err).to.equal(0);
    expect(list.result?.keys).to.deep.equal([
      { fingerprint: fp(oldKey), nodes: 3, primary: 3 },
      { fingerprint: fp(newKey), nodes: 3, primary: 0 },
    ]);

    const use = await keysJson(agents[0]!, 'use', newKey);
    expect(use.code, use.err).to.equal(0);
    expect(use.result).to.deep.include({ op: 'use', members: 3, answered: 3, failed: 0 });

    const remove = await keysJson(agents[2]!, 'remove', oldKey);
    expect(remove.code, remove.err).to.equal(0);
    expect(remove.result?.nodes.map((n) => [n.node, n.ok, n.persisted, n.keys])).to.deep.equal(
      names.map((n) => [n, true, true, [fp(newKey)]]),
    );
    for (const n of names) expect(readFileSync(keyringOf(n), 'utf8')).to.equal(`${newKey}\n`);

    // Still one cluster: a user event reaches every agent's handler.
    expect((await cli(agents[2]!, 'event', 'after-rotation')).code).to.equal(0);
    const everyone = async () =>
      names.every(
        (n) => existsSync(eventsOf(n)) && readFileSync(eventsOf(n), 'utf8').includes('after-rotation'),
      );
    expect(await eventually(everyone, 15_000)).to.equal(true);
    const alive = (await agents[0]!.json<MemberView[]>('/v1/members')).filter((m) => m.state === 'alive');
    expect(alive).to.have.length(3);
  });

  it('an agent holding only the old key can no longer join; one with the new key can', async () => {
    const oldFile = join(tmp, 'old.keyring');
    writeFileSync(oldFile, `${oldKey}\n`);
    const stale = await AgentProcess.start([
      ...base('stale'),
      '--keyring-file',
      oldFile,
      '--join',
      agents[0]!.gossipAddr,
    ]);
    agents.push(stale);
    // The seed refuses its connection (the first frame does not open with the seed's keys)...
    const refusedUnauthenticated = async () =>
      /grapevine_refused_total\{[^}]*resource="gossip-tcp"[^}]*reason="unauthenticated"[^}]*\} [1-9]/.test(
        await (await fetch(`${agents[0]!.url}/metrics`)).text(),
      );
    expect(await eventually(refusedUnauthenticated, 20_000)).to.equal(true);
    // ...so it never learns a member, and no member learns it.
    expect(await stale.json<MemberView[]>('/v1/members')).to.have.length(1);
    for (const a of agents.slice(0, 3))
      expect((await a.json<MemberView[]>('/v1/members')).map((m) => m.name)).not.to.include('stale');
    expect((await stale.json<{ ready: boolean }>('/v1/self')).ready).to.equal(false);
    const newFile = join(tmp, 'new.keyring');
    writeFileSync(newFile, `${newKey}\n`);
    const fresh = await AgentProcess.start([
      ...base('fresh'),
      '--keyring-file',
      newFile,
      '--join',
      agents[0]!.gossipAddr,
    ]);
    agents.push(fresh);
    const seen = async () =>
      (await agents[1]!.json<MemberView[]>('/v1/members')).some(
        (m) => m.name === 'fresh' && m.state === 'alive',
      );
    expect(await eventually(seen, 15_000)).to.equal(true);
  });

  it('refuses every key operation on a cluster without encryption', async () => {
    const plain = await AgentProcess.start(base('plain'));
    agents.push(plain);
    const r = await cli(plain, 'keys', 'install', newKey);
    expect(r.code).to.equal(1);
    expect(r.err).to.match(/encryption is off: a key sent over a plaintext cluster would leak/);
    const bad = await cli(plain, 'keys', 'install', 'not-a-key');
    expect(bad.code).to.equal(1);
    expect(bad.err).to.match(/base64 AES-256 key/);
  });
});
