import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Command } from 'commander';
import { addAgentOptions } from '../../src/agent/config/agent-flags.js';
import { ConfigError, resolveEngineConfig } from '../../src/agent/config/engine-schema.js';
import {
  type LoadAgentConfigOptions,
  loadAgentConfig,
  loadConfigFileParser,
} from '../../src/agent/config/load-agent-config.js';

const hostname = () => 'host-from-os';

function cliFlags(argv: string[]): Record<string, unknown> {
  const cmd = addAgentOptions(new Command('agent').exitOverride());
  cmd.parse(argv, { from: 'user' });
  return cmd.opts();
}

function loadError(opts: LoadAgentConfigOptions): string {
  try {
    loadAgentConfig({ hostname, ...opts });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    expect(err.message, 'one line').to.not.include('\n');
    expect(err.message).to.match(/^invalid config: /);
    return err.message;
  }
  throw new Error('expected a ConfigError');
}

// Config files are YAML; the agent loads that parser only when it is given one.
before(() => loadConfigFileParser());
describe('loadAgentConfig', () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'grapevine-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('fills every default when given nothing, taking the name from the host', () => {
    const { config, sources, configFile } = loadAgentConfig({ hostname });
    expect(configFile).to.equal(undefined);
    expect(config.name).to.equal('host-from-os');
    expect(sources.name).to.deep.equal({ kind: 'hostname' });
    expect(config.bind).to.equal('0.0.0.0:7946');
    expect(config.advertise).to.equal(undefined);
    expect(config.gossip).to.deep.equal(resolveEngineConfig({}));
    expect(sources['gossip.antiEntropy.mode']).to.deep.equal({ kind: 'default' });
  });

  it('layers file < environment < flags, field by field', () => {
    const path = file(
      'agent.yaml',
      [
        'logLevel: debug',
        'tags: { zone: a }',
        'gossip:',
        '  probeIntervalMs: 2000',
        '  gossipFanout: 5',
        '  antiEntropy:',
        '    mode: pull',
        '    intervalMs: 5000',
      ].join('\n'),
    );
    const { config, sources } = loadAgentConfig({
      hostname,
      flags: cliFlags(['--config', path, '--probe-interval-ms', '3000']),
      env: {
        GRAPEVINE_PROBE_INTERVAL_MS: '2500',
        GRAPEVINE_GOSSIP_FANOUT: '6',
        GRAPEVINE_ANTI_ENTROPY_MODE: 'push',
      },
    });
    expect(config.gossip.probeIntervalMs).to.equal(3000); // flag beats env beats file
    expect(config.gossip.gossipFanout).to.equal(6); // env beats file
    expect(config.gossip.antiEntropy).to.deep.equal({
      enabled: true, // default
      mode: 'push', // env
      intervalMs: 5000, // file, kept although a sibling was overridden
      peerSelection: 'random',
    });
    expect(config.logLevel).to.equal('debug');
    expect(config.tags).to.deep.equal({ zone: 'a' });
    expect(sources['gossip.probeIntervalMs']).to.deep.equal({ kind: 'flag', flag: '--probe-interval-ms' });
    expect(sources['gossip.gossipFanout']).to.deep.equal({
      kind: 'env',
      variable: 'GRAPEVINE_GOSSIP_FANOUT',
    });
    expect(sources['gossip.antiEntropy.intervalMs']).to.deep.equal({ kind: 'file', file: path });
    expect(sources['gossip.directMail.maxPeers']).to.deep.equal({ kind: 'default' });
  });

  it('finds the file through GRAPEVINE_CONFIG, and --config wins over it', () => {
    const a = file('a.yaml', 'logLevel: warn\n');
    const b = file('b.yaml', 'logLevel: error\n');
    expect(loadAgentConfig({ hostname, env: { GRAPEVINE_CONFIG: a } }).config.logLevel).to.equal('warn');
    const both = loadAgentConfig({ hostname, env: { GRAPEVINE_CONFIG: a }, flags: { config: b } });
    expect(both.config.logLevel).to.equal('error');
    expect(both.configFile).to.equal(b);
  });

  it('takes name from NODE_NAME and advertise from POD_IP with the bind port, below explicit settings', () => {
    const env = { NODE_NAME: 'node-7', POD_IP: '10.1.2.3' };
    const k8s = loadAgentConfig({ hostname, env, flags: { bind: '0.0.0.0:8000' } });
    expect(k8s.config.name).to.equal('node-7');
    expect(k8s.config.advertise).to.equal('10.1.2.3:8000');
    expect(k8s.sources.name).to.deep.equal({ kind: 'env', variable: 'NODE_NAME' });
    expect(k8s.sources.advertise).to.deep.equal({ kind: 'env', variable: 'POD_IP' });

    const v6 = loadAgentConfig({ hostname, env: { POD_IP: 'fd00::7' } });
    expect(v6.config.advertise).to.equal('[fd00::7]:7946');

    const path = file('agent.yaml', 'name: from-file\nadvertise: 192.168.0.1:7946\n');
    const explicit = loadAgentConfig({ hostname, env, flags: { config: path } });
    expect(explicit.config.name).to.equal('from-file');
    expect(explicit.config.advertise).to.equal('192.168.0.1:7946');
    expect(loadAgentConfig({ hostname, env: { ...env, GRAPEVINE_NAME: 'from-env' } }).config.name).to.equal(
      'from-env',
    );
  });

  it('treats an empty or comment-only file as no settings', () => {
    const path = file('agent.yaml', '# nothing yet\n');
    expect(loadAgentConfig({ hostname, flags: { config: path } }).config.bind).to.equal('0.0.0.0:7946');
  });

  describe('every kind of mistake is one line naming the field and where it came from', () => {
    it('a YAML syntax error names the file and line', () => {
      const path = file(
        'agent.yaml',
        'logLevel: info\ngossip:\n  probeIntervalMs: 1000\n  probeIntervalMs: 2000\n',
      );
      expect(loadError({ flags: { config: path } })).to.equal(
        `invalid config: YAML syntax error in ${path} at line 4, column 3: Map keys must be unique`,
      );
      const flow = file('flow.yaml', 'join: [a:1, b:2\nlogLevel: info\n');
      expect(loadError({ flags: { config: flow } })).to.match(
        new RegExp(`^invalid config: YAML syntax error in ${flow} at line \\d+, column \\d+: .+`),
      );
    });

    it('a missing file names the path and the flag or variable that named it', () => {
      const path = join(dir, 'absent.yaml');
      expect(loadError({ flags: { config: path } })).to.equal(
        `invalid config: config file not found: ${path} (from --config)`,
      );
      expect(loadError({ env: { GRAPEVINE_CONFIG: path } })).to.equal(
        `invalid config: config file not found: ${path} (from GRAPEVINE_CONFIG)`,
      );
    });

    it('a file that is not a mapping', () => {
      const path = file('agent.yaml', '- a\n- b\n');
      expect(loadError({ flags: { config: path } })).to.equal(
        `invalid config: ${path}: expected a mapping of settings at the top level, got a list`,
      );
    });

    it('unknown keys, at the top and nested, with a suggestion for a near miss', () => {
      const path = file('agent.yaml', 'bogus: 1\ngossip:\n  probeIntervalMS: 500\n');
      expect(loadError({ flags: { config: path } })).to.equal(
        `invalid config: bogus: unknown key (from ${path}); ` +
          `gossip.probeIntervalMS: unknown key (did you mean probeIntervalMs?) (from ${path})`,
      );
    });

    it('a __proto__ key is an unknown key, not a prototype', () => {
      const path = file('agent.yaml', '__proto__:\n  logLevel: trace\n');
      expect(loadError({ flags: { config: path } })).to.equal(
        `invalid config: __proto__: unknown key (from ${path})`,
      );
    });

    it('wrong types', () => {
      const path = file(
        'agent.yaml',
        'gossip:\n  probeIntervalMs: fast\n  antiEntropy:\n    enabled: yes\njoin: 10.0.0.1:7946\ntags: { zone: 3 }\n',
      );
      expect(loadError({ flags: { config: path } })).to.equal(
        `invalid config: join: must be a list, got '10.0.0.1:7946' (from ${path}); ` +
          `tags.zone: must be text, got 3 (from ${path}); ` +
          `gossip.probeIntervalMs: must be an integer, got 'fast' (from ${path}); ` +
          `gossip.antiEntropy.enabled: must be true or false, got 'yes' (from ${path})`,
      );
    });

    it('out of range, from the file and from a flag', () => {
      const path = file('agent.yaml', 'gossip:\n  probeIntervalMs: 5\n');
      expect(loadError({ flags: { config: path } })).to.equal(
        `invalid config: gossip.probeIntervalMs: must be an integer ≥ 10, got 5 (from ${path})`,
      );
      expect(loadError({ flags: cliFlags(['--direct-mail-max-attempts', '99']) })).to.equal(
        'invalid config: gossip.directMail.maxAttempts: must be an integer ≤ 20, got 99 (from --direct-mail-max-attempts)',
      );
    });

    it('a bad enum value', () => {
      const path = file('agent.yaml', 'logLevel: loud\n');
      expect(loadError({ flags: { config: path } })).to.equal(
        `invalid config: logLevel: must be one of trace, debug, info, warn, error, fatal, got 'loud' (from ${path})`,
      );
    });

    it('a bad address, including a port above 65535', () => {
      expect(loadError({ env: { GRAPEVINE_BIND: 'localhost' } })).to.equal(
        "invalid config: bind: must be HOST:PORT (e.g. 10.0.0.7:7946 or [fd00::7]:7946), got 'localhost' (from GRAPEVINE_BIND)",
      );
      expect(loadError({ flags: cliFlags(['--join', 'a:1', '--join', 'b:70000']) })).to.equal(
        "invalid config: join.1: port must be at most 65535, got 'b:70000' (from --join)",
      );
    });

    it('probeTimeoutMs ≥ probeIntervalMs, naming both values and their sources', () => {
      expect(loadError({ flags: cliFlags(['--probe-interval-ms', '400']) })).to.equal(
        'invalid config: gossip.probeTimeoutMs: must be less than probeIntervalMs ' +
          '(probeTimeoutMs=500 from default, probeIntervalMs=400 from --probe-interval-ms)',
      );
    });

    it('a bad flag value and a bad variable value', () => {
      expect(loadError({ flags: cliFlags(['--probe-interval-ms', 'fast']) })).to.equal(
        "invalid config: --probe-interval-ms: expected an integer, got 'fast'",
      );
      expect(loadError({ env: { GRAPEVINE_ANTI_ENTROPY_ENABLED: 'maybe' } })).to.equal(
        "invalid config: GRAPEVINE_ANTI_ENTROPY_ENABLED: expected true or false, got 'maybe'",
      );
    });

    it('an advertised host name (peers never resolve names that arrive in packets)', () => {
      expect(loadError({ flags: cliFlags(['--advertise', 'node-a.example:7946']) })).to.equal(
        "invalid config: advertise: 'node-a.example:7946' is not an IP address (from --advertise): peers never resolve names that arrive in packets; give the IP address peers reach this node on",
      );
    });

    it('a POD_IP that is not an IP address', () => {
      expect(loadError({ env: { POD_IP: 'pod-a' } })).to.equal(
        "invalid config: advertise: POD_IP must be an IP address, got 'pod-a' (from POD_IP)",
      );
    });
  });
});
