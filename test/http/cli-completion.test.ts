// `grapevine completion bash` (issue 11): the generated script, sourced in a real bash, completes
// commands, subcommands and options from the command tree, as bash calls it on <Tab> (COMP_WORDS,
// COMP_CWORD, then COMPREPLY).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runGrapevine } from '../support/run-cli.js';

describe('cmd: completion', () => {
  let tmp: string;
  let script: string;

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'gv-completion-'));
    const r = await runGrapevine('completion', 'bash');
    expect(r.code, r.err).to.equal(0);
    script = join(tmp, 'grapevine.bash');
    writeFileSync(script, r.out);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  /** What bash offers for the command line `words`, the last one being completed. */
  const complete = (...words: string[]): string[] => {
    const array = words.map((w) => `'${w}'`).join(' ');
    const out = execFileSync(
      'bash',
      [
        '--norc',
        '-c',
        `source "$1"; COMP_WORDS=(${array}); COMP_CWORD=${words.length - 1}; _grapevine_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
        'bash',
        script,
      ],
      { encoding: 'utf8' },
    );
    return out.split('\n').filter(Boolean).sort();
  };

  it('completes commands, subcommands and options in a real bash', () => {
    expect(complete('grapevine', 'mem')).to.deep.equal(['members']);
    expect(complete('grapevine', 'members', '--st')).to.deep.equal(['--state']);
    expect(complete('grapevine', 'members', '--state', 'alive', '--t')).to.deep.equal([
      '--tag',
      '--token-file',
    ]);
    expect(complete('grapevine', 'keys', 'l')).to.deep.equal(['list']);
    expect(complete('grapevine', 'keys', 'list', '--k')).to.deep.equal(['--keyring-file']);
    // The agent's flags are generated from the config schema; the script has them too.
    expect(complete('grapevine', 'agent', '--probe-i')).to.deep.equal(['--probe-interval-ms']);
    // Nothing fits: bash falls back to file names (-o default).
    expect(complete('grapevine', 'members', 'x')).to.deep.equal([]);
  });

  it('zsh gets the same function through bashcompinit; other shells are a usage error', async () => {
    const zsh = await runGrapevine('completion', 'zsh');
    expect(zsh.out).to.match(/^autoload -U \+X bashcompinit && bashcompinit$/m);
    expect(zsh.out).to.include('complete -o default -F _grapevine_complete grapevine');
    const fish = await runGrapevine('completion', 'fish');
    expect(fish.code).to.equal(2);
    expect(fish.err).to.match(/expected bash or zsh, got 'fish'/);
  });
});
