// The simulator scale bench's plumbing: rows come from real `grapevine simulate` processes and the
// plots drawn from them carry every series and point (the figures themselves are the bench's job).
import { expect } from 'chai';
import { antiEntropyChart, loadChart, spreadChart } from '../../scripts/bench-sim-scale/plots.js';
import { antiEntropyRow, loadRow, spreadRow } from '../../scripts/bench-sim-scale/rows.js';
import { simulate } from '../../scripts/simulate-cli.js';

const circles = (svg: string) => (svg.match(/<path[^>]*aria-roledescription="point"/g) ?? []).length;

describe('bench sim scale: rows and plots from real simulator runs', function () {
  this.timeout(120_000);

  it('a spread row holds what the simulator reported, and the plot draws it against the push bound', async () => {
    const run = await simulate([
      '--nodes',
      '50',
      '--scenario',
      'rumor',
      '--duration',
      '3',
      '--no-direct-mail',
    ]);
    const row = spreadRow(run);
    expect(row).to.include({ nodes: 50, directMail: false, informed: 50 });
    expect(row.hopsP100).to.be.a('number').and.to.be.at.least(1);
    expect(row.timeP100S).to.be.a('number').and.to.be.above(0);
    expect(row.pushBound).to.equal(run.report.bound_rounds);
    const svg = await spreadChart([row, { ...row, nodes: 100, directMail: true }], 'test');
    for (const series of ['hops p99.9', 'hops p100', 'push bound', 'time p99.9', 'time p100'])
      expect(svg).to.contain(series);
    // Two rows × five series, one point each.
    expect(circles(svg)).to.equal(10);
  });

  it('load and anti-entropy rows and plots', async () => {
    const lossy = loadRow(
      await simulate(['--nodes', '30', '--scenario', 'rumor', '--duration', '3', '--loss', '0.1']),
    );
    expect(lossy).to.include({ nodes: 30, loss: 0.1 });
    expect(lossy.packetsPerNodeS).to.be.above(0);
    const load = await loadChart([lossy, { ...lossy, loss: 0 }], 'test');
    expect(load).to.contain('10 % loss').and.to.contain('0 % loss');
    expect(circles(load)).to.equal(4);
    const ae = antiEntropyRow(
      await simulate([
        '--nodes',
        '20',
        '--scenario',
        'antientropy',
        '--keys',
        '50',
        '--divergent',
        '5',
        '--duration',
        '20',
      ]),
    );
    expect(ae).to.include({ nodes: 20, keys: 50, divergent: 5 });
    expect(ae.repairS, 'repaired within the run').to.be.a('number');
    expect(ae.bytesUntilRepaired).to.be.above(0);
    expect(circles(await antiEntropyChart([ae], 'test'))).to.equal(3);
  });
});
