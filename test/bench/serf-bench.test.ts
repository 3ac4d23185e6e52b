// The side-by-side benchmark against real Serf and real Grapevine agents at N = 3, so the harness
// cannot rot silently: both systems measured, every figure finite, plots drawn. It checks that the
// harness works, not how fast anything is. Needs root (network namespaces) and Debian's serf; skipped
// with the reason otherwise, and a failure under CI=true.
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { runBench, summarize } from '../../scripts/bench-serf/bench.js';
import { figuresChart } from '../../scripts/bench-serf/plots.js';
import { missingPrerequisite } from '../../scripts/bench-serf/prerequisites.js';
import { FIGURE_LABELS, type RunFigures } from '../../scripts/bench-serf/types.js';

// The TypeScript entry (through tsx), so the test needs no build; the benchmark itself runs dist/.
const CLI = fileURLToPath(new URL('../../cmd/grapevine.ts', import.meta.url));

describe('bench serf: the side-by-side harness on real agents (N = 3)', function () {
  this.timeout(300_000);

  before(async function () {
    const missing = await missingPrerequisite(CLI);
    if (!missing) return;
    if (process.env.CI === 'true') throw new Error(`bench serf test cannot run: ${missing}`);
    this.skip();
  });

  it('measures both systems and every figure is a finite, non-negative number', async () => {
    const results = await runBench({
      sizes: [3],
      runs: 1,
      mode: 'figures',
      probeIntervalMs: 1_000,
      steadySeconds: 2,
      warmUpSeconds: 1,
      fpMinutes: 0,
      grapevineCli: CLI,
    });
    expect(results.map((r) => r.system).sort()).to.deep.equal(['grapevine', 'serf']);
    for (const r of results) {
      expect(r.error, `${r.system}: ${r.error}`).to.equal(undefined);
      const f = r.figures as RunFigures;
      for (const key of Object.keys(FIGURE_LABELS) as Array<keyof RunFigures>) {
        const v = f[key];
        expect(v, `${r.system} ${key}`).to.be.a('number');
        expect(Number.isFinite(v) && (v as number) >= 0, `${r.system} ${key} = ${v}`).to.equal(true);
      }
      // These cannot be zero for a real cluster: time passes, memory is used, packets flow.
      for (const key of [
        'joinFromFirstStartS',
        'killDeadLastS',
        'rssMbPerAgent',
        'steadyBytesPerSecPerAgent',
      ] as const)
        expect(f[key], `${r.system} ${key}`).to.be.greaterThan(0);
      expect(f.killDeadFirstS).to.be.at.most(f.killDeadMedianS as number);
      expect(f.killDeadMedianS).to.be.at.most(f.killDeadLastS as number);
      // How the death was found is recorded for Grapevine (refusals of its fallback probe); Serf has no such counter.
      if (r.system === 'grapevine') {
        expect(Number.isInteger(r.killFallbackRefusals) && r.killFallbackRefusals! >= 0).to.equal(true);
        expect(Number.isInteger(r.killProbesBroughtForward) && r.killProbesBroughtForward! >= 0).to.equal(
          true,
        );
        // Someone suspected the killed agent before the first survivor declared it dead.
        expect(r.killFirstSuspectS).to.be.within(0, f.killDeadFirstS as number);
      } else {
        expect(r.killFallbackRefusals).to.equal(undefined);
        expect(r.killProbesBroughtForward).to.equal(undefined);
        expect(r.killFirstSuspectS).to.equal(undefined);
      }
    }
    const summary = summarize(results);
    const join = summary.find((s) => s.figure === 'joinFromFirstStartS');
    expect(join?.grapevine?.runs).to.equal(1);
    expect(join?.serf?.runs).to.equal(1);
    expect(join?.ratio).to.be.greaterThan(0);
    const svg = await figuresChart(summary, 'test');
    expect(svg).to.match(/^<svg/);
    expect(svg).to.include('grapevine').and.to.include('serf');
  });
});
