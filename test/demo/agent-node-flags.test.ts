// The bin's V8 flags live in its shebang; the demo and the image pass the same ones when they run
// `node FILE`.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { AGENT_NODE_FLAGS } from '../../src/demo/agent-command-line.js';

describe('grapevine bin V8 flags', () => {
  it('the shebang of cmd/grapevine.ts carries exactly AGENT_NODE_FLAGS (env -S splits them)', () => {
    const first = readFileSync(new URL('../../cmd/grapevine.ts', import.meta.url), 'utf8').split('\n', 1)[0];
    expect(first).to.equal(`#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(' ')}`);
  });

  it('the image ENTRYPOINT runs node with the same flags (node FILE ignores the shebang)', () => {
    const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
    const entry = /^ENTRYPOINT (.*)$/m.exec(dockerfile)?.[1];
    expect(JSON.parse(entry ?? 'null')).to.deep.equal(['node', ...AGENT_NODE_FLAGS, 'dist/cmd/grapevine.js']);
  });
});
