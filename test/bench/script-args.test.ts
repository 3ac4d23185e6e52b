// The scripts' command lines (benchmarks, investigations): a mistyped flag is one line and the usage
// with exit code 2, never a stack trace; --help prints the usage. Runs real scripts as a user would.
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';

const SCRIPTS = ['scripts/bench-serf/main.ts', 'scripts/bench-startup.ts', 'scripts/bench-sim-scale/main.ts'];

function run(script: string, ...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('scripts: command-line mistakes', function () {
  this.timeout(120_000);

  for (const script of SCRIPTS) {
    it(`${script}: an unknown flag exits 2 with one error line and the usage`, () => {
      const r = run(script, '--no-such-flag');
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stderr).to.match(/^error: Unknown option '--no-such-flag'/);
      expect(r.stderr).to.include(`usage: `);
      expect(r.stderr).to.include(script);
      expect(r.stderr).to.not.match(/\n\s+at /);
      expect(r.stdout).to.equal('');
    });
  }

  it('--help prints the usage and exits 0 without running anything', () => {
    const r = run('scripts/bench-serf/main.ts', '--help');
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^usage: node --import tsx scripts\/bench-serf\/main\.ts \[--sizes/);
    expect(r.stdout).to.not.include('bench serf:');
  });

  it('a bad value is an error line naming the flag, then the usage', () => {
    const r = run('scripts/bench-serf/main.ts', '--sizes', '2');
    expect(r.status, r.stderr).to.equal(2);
    expect(r.stderr).to.match(/^error: --sizes: each N must be at least 3/);
    expect(r.stderr).to.include('usage: node --import tsx scripts/bench-serf/main.ts');
    const sim = run('scripts/bench-sim-scale/main.ts', '--max-nodes', '5');
    expect(sim.status, sim.stderr).to.equal(2);
    expect(sim.stderr).to.match(/^error: --max-nodes must be an integer of at least 100/);
  });

  it('a bad integer option is an error line, not a stack trace', () => {
    const r = run('scripts/bench-steady-cpu.ts', '--nodes', 'ten');
    expect(r.status, r.stderr).to.equal(2);
    expect(r.stderr).to.match(/^error: --nodes needs a non-negative integer/);
    expect(r.stderr).to.not.match(/\n\s+at /);
  });
});
