// The benchmark's arithmetic: min / median / max per system and the ratio of medians.
import { expect } from 'chai';
import { spread, summarize } from '../../scripts/bench-serf/summary.js';
import type { RunFigures, RunResult } from '../../scripts/bench-serf/types.js';

const figures = (join: number): RunFigures => ({ joinFromFirstStartS: join }) as unknown as RunFigures;

describe('bench serf: summary', () => {
  it('spread gives min, median (mean of the middle two for even counts) and max', () => {
    expect(spread([3, 1, 2])).to.deep.equal({ min: 1, median: 2, max: 3, runs: 3 });
    expect(spread([4, 1, 3, 2])).to.deep.equal({ min: 1, median: 2.5, max: 4, runs: 4 });
    expect(spread([])).to.equal(null);
  });

  it('summarize compares medians per N and leaves out failed runs and missing figures', () => {
    const results: RunResult[] = [
      { system: 'grapevine', n: 3, run: 0, figures: figures(4) },
      { system: 'grapevine', n: 3, run: 1, figures: figures(6) },
      { system: 'serf', n: 3, run: 0, figures: figures(0.5) },
      { system: 'serf', n: 3, run: 1, error: 'timed out' },
    ];
    const join = summarize(results).find((s) => s.figure === 'joinFromFirstStartS');
    expect(join?.grapevine).to.deep.equal({ min: 4, median: 5, max: 6, runs: 2 });
    expect(join?.serf).to.deep.equal({ min: 0.5, median: 0.5, max: 0.5, runs: 1 });
    expect(join?.ratio).to.equal(10);
    const leave = summarize(results).find((s) => s.figure === 'leaveLastS');
    expect(leave?.grapevine).to.equal(null);
    expect(leave?.ratio).to.equal(null);
  });
});
