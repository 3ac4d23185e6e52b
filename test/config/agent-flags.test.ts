import { KindGuard, type TSchema } from '@sinclair/typebox';
import { expect } from 'chai';
import { Command } from 'commander';
import {
  AGENT_FLAGS,
  addAgentOptions,
  envToConfigPatch,
  flagsToConfigPatch,
} from '../../src/agent/config/agent-flags.js';
import { ConfigError, EngineSchema } from '../../src/agent/config/engine-schema.js';

function leafPaths(schema: TSchema, prefix: string[]): string[] {
  if (!KindGuard.IsObject(schema)) return [prefix.join('.')];
  return Object.entries(schema.properties).flatMap(([k, s]) => leafPaths(s, [...prefix, k]));
}

function parse(argv: string[]): Record<string, unknown> {
  const cmd = addAgentOptions(new Command('agent').exitOverride());
  cmd.parse(argv, { from: 'user' });
  return cmd.opts();
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('agent flags', () => {
  const byFlag = new Map(AGENT_FLAGS.map((f) => [f.flag, f]));

  it('has one flag per engine tunable, named after its path below gossip', () => {
    const tunables = leafPaths(EngineSchema, ['gossip']);
    expect(tunables.length).to.be.greaterThan(20);
    for (const path of tunables) {
      const flag = AGENT_FLAGS.find((f) => f.path.join('.') === path);
      expect(flag, path).to.not.equal(undefined);
    }
    expect(byFlag.get('--probe-interval-ms')?.path).to.deep.equal(['gossip', 'probeIntervalMs']);
    expect(byFlag.get('--anti-entropy-mode')?.path).to.deep.equal(['gossip', 'antiEntropy', 'mode']);
    expect(byFlag.get('--direct-mail-max-peers')?.path).to.deep.equal(['gossip', 'directMail', 'maxPeers']);
    expect(byFlag.get('--cluster')?.path).to.deep.equal(['gossip', 'cluster']);
    expect(byFlag.get('--anti-entropy-enabled')?.valueName).to.equal('true|false');
  });

  it('has the agent flags with their value names and GRAPEVINE_ variables', () => {
    const expected: Array<[string, string, string]> = [
      ['--name', 'NAME', 'GRAPEVINE_NAME'],
      ['--bind', 'HOST:PORT', 'GRAPEVINE_BIND'],
      ['--advertise', 'HOST:PORT', 'GRAPEVINE_ADVERTISE'],
      ['--http', 'HOST:PORT', 'GRAPEVINE_HTTP'],
      ['--join', 'HOST:PORT', 'GRAPEVINE_JOIN'],
      ['--join-dns', 'NAME', 'GRAPEVINE_JOIN_DNS'],
      ['--keyring-file', 'PATH', 'GRAPEVINE_KEYRING_FILE'],
      ['--api-token-file', 'PATH', 'GRAPEVINE_API_TOKEN_FILE'],
      ['--log-level', 'trace|debug|info|warn|error|fatal', 'GRAPEVINE_LOG_LEVEL'],
      ['--config', 'PATH', 'GRAPEVINE_CONFIG'],
      ['--cluster', 'NAME', 'GRAPEVINE_CLUSTER'],
      ['--probe-interval-ms', 'MS', 'GRAPEVINE_PROBE_INTERVAL_MS'],
    ];
    for (const [flag, valueName, env] of expected) {
      expect(byFlag.get(flag)?.valueName, flag).to.equal(valueName);
      expect(byFlag.get(flag)?.env, flag).to.equal(env);
    }
    expect(new Set(AGENT_FLAGS.map((f) => f.env)).size).to.equal(AGENT_FLAGS.length);
  });

  it('registers on a commander Command, with help showing schema text, defaults and variables', () => {
    // A wide help width keeps each option on one line whatever the terminal.
    const cmd = addAgentOptions(new Command('agent')).configureHelp({ helpWidth: 1000 });
    const help = cmd.helpInformation();
    expect(help).to.match(
      /--probe-interval-ms <MS>\s+Time between failure-detector probes \(milliseconds\) \(default: 1000, env: GRAPEVINE_PROBE_INTERVAL_MS\)/,
    );
    expect(help).to.include('--anti-entropy-enabled <true|false>');
    expect(help).to.match(/--join <HOST:PORT>\s+Seeds to join\. \(repeatable, env: GRAPEVINE_JOIN\)/);
    expect(help).to.include('(default: 0.0.0.0:7946, env: GRAPEVINE_BIND)');
  });

  it('parses what commander collected into a typed partial config, and nothing the user did not type', () => {
    const opts = parse([
      '--probe-interval-ms',
      '2000',
      '--anti-entropy-enabled',
      'false',
      '--anti-entropy-mode',
      'pull',
      '--join',
      '10.0.0.1:7946',
      '--join',
      '10.0.0.2:7946,10.0.0.3:7946',
      '--cluster',
      'blue',
      '--name',
      'n1',
    ]);
    expect(flagsToConfigPatch(opts)).to.deep.equal({
      name: 'n1',
      join: ['10.0.0.1:7946', '10.0.0.2:7946', '10.0.0.3:7946'],
      gossip: { cluster: 'blue', probeIntervalMs: 2000, antiEntropy: { enabled: false, mode: 'pull' } },
    });
    expect(flagsToConfigPatch(parse([]))).to.deep.equal({});
  });

  it('reads GRAPEVINE_ variables, ignoring empty ones and unrelated ones', () => {
    const patch = envToConfigPatch({
      GRAPEVINE_DIRECT_MAIL_MAX_PEERS: '7',
      GRAPEVINE_JOIN: 'a:1, b:2 c:3',
      GRAPEVINE_LOG_LEVEL: '',
      GRAPEVINE_CONFIG: '/x.yaml',
      PATH: '/usr/bin',
    });
    expect(patch).to.deep.equal({ join: ['a:1', 'b:2', 'c:3'], gossip: { directMail: { maxPeers: 7 } } });
  });

  it('rejects a bad value with one line naming the flag or the variable', () => {
    const cases: Array<[() => unknown, string]> = [
      [
        () => flagsToConfigPatch({ probeIntervalMs: 'fast' }),
        "invalid config: --probe-interval-ms: expected an integer, got 'fast'",
      ],
      [
        () => flagsToConfigPatch({ probeIntervalMs: '1.5' }),
        "invalid config: --probe-interval-ms: expected an integer, got '1.5'",
      ],
      [
        () => flagsToConfigPatch({ antiEntropyEnabled: 'yes' }),
        "invalid config: --anti-entropy-enabled: expected true or false, got 'yes'",
      ],
      [
        () => flagsToConfigPatch({ antiEntropyMode: 'both' }),
        "invalid config: --anti-entropy-mode: expected one of push, pull, push-pull, got 'both'",
      ],
      [
        () => envToConfigPatch({ GRAPEVINE_PROBE_TIMEOUT_MS: '10s' }),
        "invalid config: GRAPEVINE_PROBE_TIMEOUT_MS: expected an integer, got '10s'",
      ],
      [
        () => envToConfigPatch({ GRAPEVINE_LOG_LEVEL: 'loud\n' }),
        "invalid config: GRAPEVINE_LOG_LEVEL: expected one of trace, debug, info, warn, error, fatal, got 'loud\\n'",
      ],
    ];
    for (const [fn, message] of cases) {
      const err = errorOf(fn);
      expect(err.message).to.equal(message);
      expect(err.message).to.not.include('\n');
    }
  });

  it('reports every bad flag in the same line', () => {
    const err = errorOf(() => flagsToConfigPatch({ gossipFanout: 'x', directMailEnabled: 'on' }));
    expect(err.message).to.equal(
      "invalid config: --gossip-fanout: expected an integer, got 'x'; --direct-mail-enabled: expected true or false, got 'on'",
    );
  });
});
