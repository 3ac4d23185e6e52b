// The CPU and memory benchmarks' fleet (scripts/fleet-usage.ts) starts agents through the demo's
// command line, whose fast timings (DEMO_TIMINGS) must not leak into a figure meant for the shipped
// defaults: until 2026-11-29 bench-steady-cpu measured a 200 ms probe timeout and suspicionMult 3.
import { expect } from 'chai';
import { defaultTimings } from '../../scripts/fleet-usage.js';
import { resolveEngineConfig } from '../../src/agent/config/engine-schema.js';
import { DEMO_TIMINGS } from '../../src/demo/agent-command-line.js';

/** The value each flag ends up with when the agent reads `args` (the last one wins). */
function effective(args: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) out.set(args[i]!, args[i + 1]!);
  return out;
}

describe('bench fleet: agents run with the engine defaults', () => {
  it('every timing the demo changes is set back to its default', () => {
    const d = resolveEngineConfig({});
    const flags = effective([...DEMO_TIMINGS, ...defaultTimings()]);
    expect(Object.fromEntries(flags)).to.deep.equal({
      '--probe-interval-ms': String(d.probeIntervalMs),
      '--probe-timeout-ms': String(d.probeTimeoutMs),
      '--gossip-interval-ms': String(d.gossipIntervalMs),
      '--suspicion-mult': String(d.suspicionMult),
    });
    expect(effective(DEMO_TIMINGS).get('--probe-timeout-ms'), 'the demo does differ').to.not.equal(
      String(d.probeTimeoutMs),
    );
  });
});
