import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { expect } from 'chai';
import { parse } from 'yaml';
import { EngineSchema } from '../../src/agent/config/engine-schema.js';
import { CRD_NAME, gossipClusterCrd } from '../../src/operator/api/crd.js';
import { CRD_FILE, gossipClusterCrdYaml } from '../../src/operator/api/crd-yaml.js';
import { CROSS_FIELD_RULES } from '../../src/operator/api/cross-field-rules.js';
import { GossipClusterSpecSchema } from '../../src/operator/api/gossipcluster-schema.js';
import { LABEL_VALUE_PATTERN } from '../../src/operator/api/patterns.js';
import { StructuralSchemaError, toStructuralSchema } from '../../src/operator/api/structural-schema.js';

type Schema = { [key: string]: unknown };
type Crd = {
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; shortNames: string[]; categories: string[] };
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      subresources: Schema;
      additionalPrinterColumns: Array<{ name: string; type: string; jsonPath: string }>;
      schema: { openAPIV3Schema: Schema };
    }>;
  };
};

const crd = gossipClusterCrd() as unknown as Crd;
const version = crd.spec.versions[0]!;
const root = version.schema.openAPIV3Schema;
const props = (s: Schema) => s.properties as Record<string, Schema>;
const specSchema = props(root).spec!;

/** Every schema node with its path (properties, additionalProperties, items). */
function nodes(s: Schema, path = ''): Array<[string, Schema]> {
  const out: Array<[string, Schema]> = [[path, s]];
  for (const [k, v] of Object.entries((s.properties as Record<string, Schema>) ?? {}))
    out.push(...nodes(v, `${path}.${k}`));
  if (typeof s.additionalProperties === 'object')
    out.push(...nodes(s.additionalProperties as Schema, `${path}.*`));
  if (typeof s.items === 'object') out.push(...nodes(s.items as Schema, `${path}[]`));
  return out;
}

/** The apiserver's structural defaulting: set missing defaulted properties, then recurse. */
function applyDefaults(value: unknown, s: Schema): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const obj = value as Record<string, unknown>;
  for (const [k, p] of Object.entries((s.properties as Record<string, Schema>) ?? {}))
    if (!(k in obj) && 'default' in p) obj[k] = structuredClone(p.default);
  for (const [k, v] of Object.entries(obj)) {
    const p = (s.properties as Record<string, Schema> | undefined)?.[k];
    if (p) obj[k] = applyDefaults(v, p);
  }
  return obj;
}

describe('GossipCluster CRD', () => {
  it('names the group, version, scope, short names and categories', () => {
    expect(crd.metadata.name).to.equal('gossipclusters.grapevine.dev').and.equal(CRD_NAME);
    expect(crd.spec.group).to.equal('grapevine.dev');
    expect(crd.spec.scope).to.equal('Namespaced');
    expect(crd.spec.names.kind).to.equal('GossipCluster');
    expect(crd.spec.names.shortNames).to.deep.equal(['gc', 'gossip']);
    expect(crd.spec.names.categories).to.deep.equal(['grapevine']);
    expect(crd.spec.versions).to.have.length(1);
    expect(version).to.include({ name: 'v1alpha1', served: true, storage: true });
    expect(version.subresources).to.deep.equal({ status: {} });
  });

  it('has printer columns for the Ready condition, agent counts, member counts, convergence and age', () => {
    const cols = Object.fromEntries(version.additionalPrinterColumns.map((c) => [c.name, c]));
    expect(Object.keys(cols)).to.deep.equal([
      'Ready',
      'Reason',
      'Desired',
      'Agents-Ready',
      'Alive',
      'Suspect',
      'Converged',
      'Age',
    ]);
    expect(cols.Ready!.jsonPath).to.equal('.status.conditions[?(@.type=="Ready")].status');
    expect(cols.Desired!.jsonPath).to.equal('.status.desiredAgents');
    expect(cols['Agents-Ready']!.jsonPath).to.equal('.status.readyAgents');
    expect(cols.Alive!.jsonPath).to.equal('.status.members.alive');
    expect(cols.Suspect!.jsonPath).to.equal('.status.members.suspect');
    expect(cols.Reason!.jsonPath).to.equal('.status.conditions[?(@.type=="Ready")].reason');
    expect(cols.Converged).to.include({
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Converged")].status',
    });
    expect(cols.Age).to.include({ type: 'date', jsonPath: '.metadata.creationTimestamp' });
  });

  it('is structural: every node typed (or int-or-string / preserve-unknown), nothing the apiserver rejects', () => {
    const all = nodes(root);
    expect(all.length).to.be.greaterThan(60);
    for (const [path, s] of all) {
      const untyped =
        s['x-kubernetes-int-or-string'] === true || s['x-kubernetes-preserve-unknown-fields'] === true;
      if (!untyped) expect(s.type, `${path} has a type`).to.be.a('string');
      for (const banned of ['anyOf', 'oneOf', 'allOf', 'const', 'patternProperties', '$id', '$schema'])
        expect(s, `${path} has no ${banned}`).not.to.have.property(banned);
      expect(s.additionalProperties, `${path} additionalProperties`).not.to.equal(false);
      if (s.properties !== undefined) expect(s.additionalProperties, path).to.equal(undefined);
    }
    expect(JSON.stringify(root)).not.to.match(/"additionalProperties":false/);
  });

  it('converts unions of literals to enums, records to additionalProperties, keeps int-or-string', () => {
    expect(props(specSchema).imagePullPolicy).to.deep.include({
      type: 'string',
      enum: ['Always', 'IfNotPresent', 'Never'],
      default: 'IfNotPresent',
    });
    expect(props(specSchema).logLevel!.enum).to.deep.equal([
      'trace',
      'debug',
      'info',
      'warn',
      'error',
      'fatal',
    ]);
    // Issue 9: label values are checked like the apiserver checks them, keys by CEL (see below).
    expect(props(specSchema).nodeSelector).to.deep.include({
      type: 'object',
      maxProperties: 64,
      additionalProperties: { type: 'string', maxLength: 63, pattern: LABEL_VALUE_PATTERN },
    });
    expect(props(specSchema).tags!.additionalProperties).to.deep.equal({ type: 'string', maxLength: 512 });
    const limits = props(props(specSchema).resources!).limits!;
    expect(limits.additionalProperties).to.include({ 'x-kubernetes-int-or-string': true });
    // Issue 9: affinity is the Pod API's own type (from client-node's models), not a free-form object.
    expect(props(specSchema).affinity).to.not.have.property('x-kubernetes-preserve-unknown-fields');
    expect(props(props(specSchema).affinity!).nodeAffinity).to.include({ type: 'object' });
    const probe = props(props(specSchema).gossip!).probeIntervalMs!;
    expect(probe).to.include({ type: 'integer', minimum: 10, maximum: 60_000, default: 1000 });
    expect(probe.description).to.match(/milliseconds/);
    expect(props(props(props(specSchema).metrics!).serviceMonitor!).interval!.pattern).to.equal(
      '^[0-9]+(ms|s|m|h)$',
    );
  });

  it('requires only what has no default', () => {
    expect(specSchema.required).to.equal(undefined);
    const secretRef = props(props(specSchema).encryption!).secretRef!;
    expect(secretRef.required).to.deep.equal(['name']);
    // Issue 8: without secretRef the operator generates the keyring Secret.
    expect(props(specSchema).encryption!.required).to.equal(undefined);
    expect(root.required).to.deep.equal(['spec']);
  });

  it('defaults an empty spec exactly as TypeBox does (the operator and the apiserver agree)', () => {
    const byApiserver = applyDefaults({}, specSchema);
    const byTypeBox = Value.Default(GossipClusterSpecSchema, {});
    expect(byApiserver).to.deep.equal(byTypeBox);
    expect((byApiserver as { gossip: { probeIntervalMs: number } }).gossip.probeIntervalMs).to.equal(1000);
    // and a partly filled one, nested objects included
    const partial = { gossip: { antiEntropy: { mode: 'pull' } }, ports: { http: 9000 } };
    expect(applyDefaults(structuredClone(partial), specSchema)).to.deep.equal(
      Value.Default(GossipClusterSpecSchema, structuredClone(partial)),
    );
  });

  it('carries every engine default', () => {
    const gossip = props(specSchema).gossip!;
    for (const [key, s] of Object.entries(EngineSchema.properties)) {
      if ('default' in s && typeof s.default !== 'object')
        expect(props(gossip)[key]!.default, key).to.equal(s.default);
    }
  });

  it('explains the derived cluster name on spec.gossip.cluster', () => {
    expect(props(props(specSchema).gossip!).cluster!.description).to.match(/<namespace>\/<name>/);
  });

  it('lists conditions as a map keyed by type', () => {
    const conditions = props(props(root).status!).conditions!;
    expect(conditions).to.include({ type: 'array', 'x-kubernetes-list-type': 'map' });
    expect(conditions['x-kubernetes-list-map-keys']).to.deep.equal(['type']);
    expect(props(conditions.items as Schema).type!.type).to.equal('string');
  });

  it('puts each CEL rule where it belongs, the probe timeout rule on spec.gossip', () => {
    const gossip = props(specSchema).gossip!;
    expect(gossip['x-kubernetes-validations']).to.deep.equal([
      {
        rule: '!has(self.probeTimeoutMs) || !has(self.probeIntervalMs) || self.probeTimeoutMs < self.probeIntervalMs',
        message: 'probeTimeoutMs must be less than probeIntervalMs',
        fieldPath: '.probeTimeoutMs',
      },
    ]);
    expect(JSON.stringify(props(specSchema).updateStrategy!['x-kubernetes-validations'])).to.include(
      'RollingUpdate',
    );
    const rootRules = root['x-kubernetes-validations'] as Array<{ rule: string; message: string }>;
    expect(rootRules[0]!.rule).to.include('self.metadata.name');
    expect(rootRules[0]!.message).to.include('57');
    const count = nodes(root).reduce(
      (n, [, s]) => n + ((s['x-kubernetes-validations'] as unknown[]) ?? []).length,
      0,
    );
    expect(count).to.equal(CROSS_FIELD_RULES.length);
  });

  it('matches the committed crds/ file, which has the do-not-edit header', () => {
    const committed = readFileSync(new URL(`../../${CRD_FILE}`, import.meta.url), 'utf8');
    expect(committed, 'run: node --import tsx scripts/gen-crd.ts').to.equal(gossipClusterCrdYaml());
    expect(committed.split('\n')[0]).to.match(/generated by scripts\/gen-crd\.ts/);
    expect(committed).to.match(/Do not edit/);
    expect(parse(committed)).to.deep.equal(JSON.parse(JSON.stringify(gossipClusterCrd())));
  });
});

describe('toStructuralSchema', () => {
  it('refuses what a structural schema cannot express, naming the field', () => {
    const mixed = Type.Object({ x: Type.Union([Type.String(), Type.Integer()]) });
    expect(() => toStructuralSchema(mixed)).to.throw(StructuralSchemaError, /^\.x: /);
    const numberKeyed = Type.Object({ m: Type.Record(Type.Number(), Type.String()) });
    expect(() => toStructuralSchema(numberKeyed)).to.throw(StructuralSchemaError, /^\.m: patternProperties/);
    expect(() => toStructuralSchema(Type.Object({ t: Type.Tuple([Type.String()]) }))).to.throw(/\.t: tuple/);
    expect(() => toStructuralSchema({ properties: { y: {} } })).to.throw(/\.y: no type/);
  });

  it('does not modify its input', () => {
    const before = JSON.stringify(GossipClusterSpecSchema);
    toStructuralSchema(GossipClusterSpecSchema);
    expect(JSON.stringify(GossipClusterSpecSchema)).to.equal(before);
  });
});
