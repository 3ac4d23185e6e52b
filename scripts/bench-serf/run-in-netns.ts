// The driver: runs one system's cluster for one run inside the network namespace it was started in
// (`ip netns exec NS node run-in-netns.ts SPEC`), prints the RunResult as its last stdout line and
// kills every agent it started, whatever happened.
import { GrapevineCluster } from './grapevine-cluster.js';
import { Observations } from './observations.js';
import { measureFalsePositives, measureFigures, measureTradeOff } from './scenarios.js';
import { SerfCluster } from './serf-cluster.js';
import type { RunResult, RunSpec } from './types.js';

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as RunSpec & { run: number };
  const obs = new Observations();
  const cluster =
    spec.system === 'grapevine'
      ? new GrapevineCluster(
          obs,
          spec.grapevineCli,
          spec.probeIntervalMs,
          spec.tuning,
          spec.grapevineNodeFlags,
        )
      : new SerfCluster(obs, 'serf', spec.tuning?.serfProfile);
  const result: RunResult = {
    system: spec.system,
    n: spec.n,
    run: spec.run,
    ...(spec.tuning ? { tuning: spec.tuning } : {}),
  };
  const bail = () => {
    void cluster.stopAll().then(() => process.exit(1));
  };
  process.once('SIGTERM', bail);
  process.once('SIGINT', bail);
  try {
    // Notes are filled in as the run goes, so a run that fails later still reports them.
    if (spec.mode === 'figures') result.figures = await measureFigures(cluster, spec, result);
    else if (spec.mode === 'false-positives')
      result.falsePositives = await measureFalsePositives(cluster, spec);
    else result.tradeOff = await measureTradeOff(cluster, spec);
  } catch (err) {
    result.error = err instanceof Error ? err.message : String(err);
  } finally {
    await cluster.stopAll();
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

void main();
