// The bench's trade-off mode (issue 12) on real agents at N = 3 with a 12 s fault window (10 % UDP
// loss via nftables, agent 1 frozen 1 s every 5 s): two Grapevine tunings and Serf's lan profile,
// each a point with its kill -9 detection time and false-positive counts, summarized and plotted.
// It checks that the harness works, not how fast anything is. Needs root and Debian's serf; skipped
// with the reason otherwise, a failure under CI=true.
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { runTradeOff } from '../../scripts/bench-serf/bench.js';
import { tradeOffChart } from '../../scripts/bench-serf/plots.js';
import { missingPrerequisite } from '../../scripts/bench-serf/prerequisites.js';
import {
  grapevineTunings,
  serfTunings,
  summarizeTradeOff,
  tradeOffTable,
} from '../../scripts/bench-serf/trade-off.js';

const CLI = fileURLToPath(new URL('../../cmd/grapevine.ts', import.meta.url));

describe('bench serf --trade-off: the harness on real agents (N = 3)', function () {
  this.timeout(400_000);

  before(async function () {
    const missing = await missingPrerequisite(CLI);
    if (!missing) return;
    if (process.env.CI === 'true') throw new Error(`bench serf test cannot run: ${missing}`);
    this.skip();
  });

  it('measures one point per system and setting: detection time and fault counts, in a table and a plot', async () => {
    const grapevine = grapevineTunings([2, 5], [400]);
    const serf = serfTunings(['lan']);
    expect(grapevine.map((t) => t.label)).to.deep.equal(['mult 2, timeout 400 ms', 'mult 5, timeout 400 ms']);
    const results = await runTradeOff({
      sizes: [3],
      runs: 1,
      probeIntervalMs: 1_000,
      fpMinutes: 0.2,
      freezeMs: 1_000,
      freezeEveryMs: 5_000,
      grapevineCli: CLI,
      grapevine,
      serf,
    });
    expect(results.map((r) => `${r.system}/${r.tuning?.label}`)).to.deep.equal([
      'grapevine/mult 2, timeout 400 ms',
      'grapevine/mult 5, timeout 400 ms',
      'serf/profile lan',
    ]);
    for (const r of results) {
      expect(r.error, `${r.system} ${r.tuning?.label}: ${r.error}`).to.equal(undefined);
      const p = r.tradeOff!;
      expect(p.tuning).to.deep.equal(r.tuning);
      // A 12 s window with a freeze every 5 s: two freezes really happened.
      expect(p.falsePositives.freezes).to.equal(2);
      expect(p.detection.firstS).to.be.greaterThan(0);
      expect(p.detection.firstS).to.be.at.most(p.detection.medianS);
      expect(p.detection.medianS).to.be.at.most(p.detection.lastS);
    }
    const rows = summarizeTradeOff(results);
    expect(rows).to.have.length(3);
    for (const row of rows) {
      expect(row.failedRuns).to.equal(0);
      expect(row.detectionLastS).to.be.greaterThan(0);
    }
    // One row per setting, in the order run, each with its own tuning.
    expect(rows[0]!.tuning.suspicionMult).to.equal(2);
    expect(rows[1]!.tuning.suspicionMult).to.equal(5);
    expect(tradeOffTable(rows)).to.include('| grapevine | mult 2, timeout 400 ms | 1 (0) |');
    const svg = await tradeOffChart(rows, 'test');
    expect(svg).to.match(/^<svg/);
    expect(svg).to.include('profile lan').and.to.include('mult 5, timeout 400 ms');
  });
});
