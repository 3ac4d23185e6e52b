import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parse } from 'yaml';
import { AGENT_FLAGS } from '../../src/agent/config/agent-flags.js';
import { renderFlagTable, updateGeneratedSections } from '../../src/agent/config/config-docs.js';
import { loadAgentConfig, loadConfigFileParser } from '../../src/agent/config/load-agent-config.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const examplePath = `${root}examples/agent-config.yaml`;
const docPath = `${root}docs/configuration.md`;

// Config files are YAML; the agent loads that parser only when it is given one.
before(() => loadConfigFileParser());
describe('examples/agent-config.yaml', () => {
  it('loads and validates, every value coming from the file', () => {
    const { config, sources } = loadAgentConfig({ flags: { config: examplePath }, hostname: () => 'h' });
    expect(config.tags).to.deep.equal({ zone: 'eu-west-1a', role: 'worker' });
    expect(config.gossip.antiEntropy.mode).to.equal('push-pull');
    expect(sources['gossip.directMail.bufferSize']).to.deep.equal({ kind: 'file', file: examplePath });
  });

  it('shows every gossip tunable', () => {
    const example = parse(readFileSync(examplePath, 'utf8')) as Record<string, unknown>;
    const gossipFlags = AGENT_FLAGS.filter((f) => f.path[0] === 'gossip');
    for (const f of gossipFlags) {
      let v: unknown = example;
      for (const k of f.path) v = (v as Record<string, unknown>)[k];
      expect(v, f.path.join('.')).to.not.equal(undefined);
    }
  });
});

describe('docs/configuration.md', () => {
  it('has the generated tables exactly as the code renders them', () => {
    const doc = readFileSync(docPath, 'utf8');
    expect(updateGeneratedSections(doc), 'run: node --import tsx scripts/gen-config-docs.ts').to.equal(doc);
    for (const f of AGENT_FLAGS) expect(doc).to.include(`\`${f.env}\``);
  });

  it('regenerates a stale table', () => {
    const doc = readFileSync(docPath, 'utf8');
    const stale = doc.replace('`GRAPEVINE_PROBE_INTERVAL_MS`', '`GRAPEVINE_OLD_NAME`');
    expect(stale).to.not.equal(doc);
    expect(updateGeneratedSections(stale)).to.equal(doc);
    expect(renderFlagTable().split('\n')).to.have.length(AGENT_FLAGS.length + 2);
  });

  it('scripts/gen-config-docs.ts --check passes on the committed doc', async () => {
    const run = promisify(execFile);
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/gen-config-docs.ts', '--check'],
      {
        cwd: root,
      },
    );
    expect(stdout + stderr).to.equal('');
  });
});
