import { expect } from 'chai';
import { agentConfigJsonSchema } from '../../src/agent/config/agent-json-schema.js';
import { resolveEngineConfig } from '../../src/agent/config/engine-schema.js';

type Node = { properties: Record<string, Node & { default?: unknown }> };

describe('agentConfigJsonSchema', () => {
  it('is plain JSON: no symbols anywhere, and it survives a JSON round trip unchanged', () => {
    const schema = agentConfigJsonSchema();
    const text = JSON.stringify(schema);
    expect(JSON.parse(text)).to.deep.equal(schema);
    const symbolsIn = (v: unknown): number =>
      typeof v === 'object' && v !== null
        ? Object.getOwnPropertySymbols(v).length +
          Object.values(v).reduce((n: number, x) => n + symbolsIn(x), 0)
        : 0;
    expect(symbolsIn(schema)).to.equal(0);
    expect(schema.type).to.equal('object');
    expect(schema.additionalProperties).to.equal(false);
  });

  it('carries every gossip default, nested ones included', () => {
    const gossip = (agentConfigJsonSchema() as unknown as Node).properties.gossip!;
    const defaults = resolveEngineConfig({});
    for (const [key, value] of Object.entries(defaults)) {
      if (typeof value === 'object') {
        for (const [sub, v] of Object.entries(value)) {
          expect(gossip.properties[key]!.properties[sub]!.default, `${key}.${sub}`).to.equal(v);
        }
      } else expect(gossip.properties[key]!.default, key).to.equal(value);
    }
    expect(gossip.properties.probeIntervalMs!.default).to.equal(1000);
  });

  it('returns a fresh copy each time (callers may edit it)', () => {
    const a = agentConfigJsonSchema();
    a.title = 'changed';
    expect(agentConfigJsonSchema().title).to.equal(undefined);
  });
});
