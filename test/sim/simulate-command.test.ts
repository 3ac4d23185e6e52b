import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { runGrapevine } from '../support/run-cli.js';

const exec = promisify(execFile);

const cli = runGrapevine;

describe('cmd: grapevine simulate', () => {
  it('prints one JSON report with the requested parameters', async () => {
    const r = await cli(
      'simulate',
      '--nodes',
      '20',
      '--fanout',
      '2',
      '--seed',
      '5',
      '--duration',
      '5',
      '--json',
    );
    expect(r.code).to.equal(0);
    expect(r.err).to.equal('');
    const lines = r.out.trim().split('\n');
    expect(lines).to.have.length(1);
    const report = JSON.parse(lines[0] as string);
    expect(report).to.include({ nodes: 20, fanout: 2, seed: 5, scenario: 'rumor', loss: 0, virtual_s: 5 });
    expect(report.informed).to.equal(20);
    for (const key of ['rounds_p999', 'rounds_p100', 'time_p999_s', 'time_p100_s', 'bound_rounds', 'wall_s'])
      expect(report[key], key).to.be.a('number');
    for (const key of ['detect_first_s', 'detect_last_s', 'antientropy_bytes', 'heal_s'])
      expect(report[key], key).to.equal(null);
  });

  it('prints a readable table without --json', async () => {
    const r = await cli('simulate', '--nodes', '10', '--duration', '3');
    expect(r.code).to.equal(0);
    expect(r.out).to.match(/^nodes\s+10$/m);
    expect(r.out).to.match(/^informed\s+10$/m);
  });

  for (const [why, argv, message] of [
    ['missing --nodes', ['simulate'], /required option '--nodes <n>'/],
    ['non-numeric nodes', ['simulate', '--nodes', 'ten'], /expected an integer/],
    ['loss out of range', ['simulate', '--nodes', '5', '--loss', '1.5'], /expected a number from 0 to 1/],
    ['unknown scenario', ['simulate', '--nodes', '5', '--scenario', 'flood'], /Allowed choices are rumor/],
    ['fanout beyond the schema', ['simulate', '--nodes', '5', '--fanout', '65'], /from 1 to 64/],
    [
      'divergent > keys',
      ['simulate', '--nodes', '5', '--scenario', 'antientropy', '--keys', '3', '--divergent', '4'],
      /cannot exceed/,
    ],
    ['unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['unknown option', ['simulate', '--nodes', '5', '--warp'], /unknown option '--warp'/],
  ] as const) {
    it(`exits 2 with usage and no stack trace: ${why}`, async () => {
      const r = await cli(...argv);
      expect(r.code).to.equal(2);
      expect(r.err).to.match(message);
      // Issue 11: one line, then a pointer to the command's --help (not the whole help text).
      expect(r.err).to.match(/\nRun 'grapevine( [a-z]+)* --help' for usage\.\n$/);
      expect(r.err).to.not.match(/\n\s+at /);
      expect(r.out).to.equal('');
    });
  }

  it('as a real process: JSON on stdout and exit 0; usage error exit 2', async () => {
    const args = [
      '--import',
      'tsx',
      'cmd/grapevine.ts',
      'simulate',
      '--nodes',
      '8',
      '--duration',
      '2',
      '--json',
    ];
    const ok = await exec(process.execPath, args, { cwd: process.cwd() });
    expect(JSON.parse(ok.stdout).nodes).to.equal(8);
    const bad = await exec(process.execPath, [
      '--import',
      'tsx',
      'cmd/grapevine.ts',
      'simulate',
      '--nodes',
      '0',
    ]).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad?.code).to.equal(2);
    expect(bad?.stderr).to.match(/expected an integer from 1/);
  });
});
