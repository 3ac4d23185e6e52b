// `grapevine info`: what a running agent is, runs and sees (Serf's `info`).
import type { Command } from 'commander';
import type { AgentInfo } from '../src/agent/http/control-api.js';
import { type AgentFlags, clientFor, reportingFailures, withAgentOptions } from './agent-client.js';
import type { CliIo } from './cli-io.js';

export function registerInfo(program: Command, io: CliIo): void {
  const cmd = program
    .command('info')
    .description("Show the agent's identity, versions, health, view and runtime.");
  withAgentOptions(cmd).action(async function (this: Command, flags: AgentFlags) {
    const client = clientFor(this, flags);
    await reportingFailures(io, async () => {
      const info = await client.info();
      io.out(flags.json ? `${JSON.stringify(info)}\n` : formatInfo(info));
    });
  });
}

export function formatInfo(i: AgentInfo): string {
  const mb = (b: number) => `${(b / 1_048_576).toFixed(1)} MB`;
  const tags = Object.entries(i.tags).map(([k, v]) => `${k}=${v}`);
  const rows: Array<[string, string]> = [
    ['name', i.name],
    ['gossip address', i.addr],
    ['HTTP API', i.config.http],
    ['cluster', i.cluster],
    ['version', `${i.version} (wire protocol ${i.protocol})`],
    ['runtime', `node ${i.runtime.node}, pid ${i.runtime.pid}, up ${i.runtime.uptimeSeconds} s`],
    ['memory', `${mb(i.runtime.rssBytes)} RSS, ${mb(i.runtime.heapUsedBytes)} heap used`],
    ['ready', i.leaving ? 'no (leaving)' : i.ready ? 'yes' : 'no (not joined yet)'],
    ['health score', String(i.healthScore)],
    [
      'members',
      Object.entries(i.members)
        .map(([s, n]) => `${n} ${s}`)
        .join(', '),
    ],
    ['view digest', i.viewDigest],
    ['encrypted', i.encrypted ? 'yes' : 'no'],
    ['join', i.config.join.length > 0 ? i.config.join.join(', ') : '-'],
    ['join DNS', i.config.joinDns ?? '-'],
    ['event handler', i.config.eventHandler ?? '-'],
    ['tags', tags.length > 0 ? tags.join(', ') : '-'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${v}`).join('\n') + '\n';
}
