// The member-name rule (issue 8): which names pass, which do not, and that every place that applies
// it agrees - the function, the config schema's pattern (the same check TypeBox and JSON Schema
// run), the peer-record bounds and the CLI argument parser.
import { Value } from '@sinclair/typebox/value';
import { expect } from 'chai';
import { InvalidArgumentError } from 'commander';
import fc from 'fast-check';
import { memberNameArg } from '../../cmd/cli-args.js';
import { AgentConfigSchema } from '../../src/agent/config/agent-schema.js';
import { memberProblem, saneKv, saneName } from '../../src/agent/core/record-bounds.js';
import { simName } from '../../src/agent/sim/simulator.js';
import { LIMITS } from '../../src/agent/wire/limits.js';
import { isMemberName, MEMBER_NAME_PATTERN, memberNameProblem } from '../../src/agent/wire/member-name.js';
import type { MemberRecord } from '../../src/agent/wire/messages.js';
import { demoAgentName } from '../../src/demo/agent-fleet.js';

const GOOD = [
  '1',
  'n0',
  'node-1',
  'kind-control-plane',
  'ip-10-0-0-7.eu-west-1.compute.internal', // an EKS node name
  'gke-pool-1-3f1a2b9c-x7k2',
  'MyLaptop',
  'web_1', // docker compose container names
  'host-a:7946', // several agents on one host, named by port
  '10.0.0.7',
  'a'.repeat(LIMITS.name),
];

const BAD = [
  '',
  'a'.repeat(LIMITS.name + 1),
  'n\u0000',
  'n\u001b[31m',
  'n\u007f',
  'n\u0085', // C1 control
  '@2',
  ' ',
  ' n',
  'n ',
  'bad name',
  '\u200b',
  '-x',
  '.x',
  '_x',
  ':x',
  'a/b',
  'a@b',
  'caf\u00e9',
  'n\u0430de-1', // Cyrillic a
  '\uff4e1', // fullwidth n
  '\u{1f600}',
  'n\ufffd', // what invalid UTF-8 decodes to
];

const nameSchema = AgentConfigSchema.properties.name;
const record = (name: string, addr = '10.0.0.1:7946'): MemberRecord => ({
  name,
  addr,
  generation: 1,
  incarnation: 0,
  state: 'alive',
  tags: {},
});

describe('member-name rule', () => {
  it('accepts Kubernetes node names, host names and hand-given names', () => {
    for (const n of GOOD) {
      expect(isMemberName(n), n).to.equal(true);
      expect(memberNameProblem(n), n).to.equal(null);
    }
  });

  it('refuses control characters, blanks, punctuation first, non-ASCII, empty and overlong names', () => {
    for (const n of BAD) {
      expect(isMemberName(n), JSON.stringify(n)).to.equal(false);
      expect(memberNameProblem(n), JSON.stringify(n)).to.be.a('string');
    }
  });

  it('says what is wrong in one escaped line', () => {
    expect(memberNameProblem('')).to.equal('must not be empty');
    expect(memberNameProblem(7)).to.equal('must be a string');
    expect(memberNameProblem('n\u001b[31m\n')).to.equal(
      "'n\\u001b[31m\\u000a' is not a member name (1 to 128 ASCII letters, digits, '-', '.', '_' or ':', starting with a letter or digit)",
    );
    expect(memberNameProblem('x'.repeat(200))).to.match(/ is 200 characters; a member name has at most 128$/);
  });

  it('the names the simulator, the demo and the tests give agents all pass', () => {
    for (let i = 0; i < 10_000; i += 37) expect(isMemberName(simName(i))).to.equal(true);
    for (let i = 0; i < 120; i++) expect(isMemberName(demoAgentName(i, 120))).to.equal(true);
  });

  it('every Kubernetes node name (DNS-1123 subdomain) within the codec limit passes', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$/);
    const subdomain = fc
      .array(label, { minLength: 1, maxLength: 6 })
      .map((ls) => ls.join('.'))
      .filter((s) => s.length <= LIMITS.name);
    fc.assert(fc.property(subdomain, (s) => isMemberName(s)));
  });

  it('the config schema, the peer-record bounds and the CLI parser apply the same rule', () => {
    expect(nameSchema.pattern).to.equal(MEMBER_NAME_PATTERN);
    const anyName = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9._:@ -]{0,140}$/),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom(...GOOD, ...BAD),
    );
    fc.assert(
      fc.property(anyName, (n) => {
        const ok = isMemberName(n);
        expect(Value.Check(nameSchema, n), JSON.stringify(n)).to.equal(ok);
        expect(saneName(n)).to.equal(ok);
        expect(memberProblem(record(n), 0) === null).to.equal(ok);
        expect(saneKv({ key: 'k', value: null, clock: 1, writer: n, at: 1 }, Date.now())).to.equal(ok);
        if (ok) expect(memberNameArg(n)).to.equal(n);
        else expect(() => memberNameArg(n)).to.throw(InvalidArgumentError);
      }),
      { numRuns: 500 },
    );
  });

  it('a peer record naming port 0, or no HOST:PORT, is out of bounds as well', () => {
    expect(memberProblem(record('n1', '10.0.0.1:0'), 0)).to.equal(
      "member n1: address '10.0.0.1:0' is not HOST:PORT with a port from 1 to 65535",
    );
    expect(memberProblem(record('n1', 'nowhere'), 0)).to.equal(
      "member n1: address 'nowhere' is not HOST:PORT with a port from 1 to 65535",
    );
    expect(memberProblem(record('n1', '[fd00::1]:7946'), 0)).to.equal(null);
  });
});
