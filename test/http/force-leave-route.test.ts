// POST /v1/force-leave (issue 11): the body is validated before the agent is asked, refusals map to
// 404 (unknown) and 409 (self, alive, suspect), and the route sits behind the API token.
import { expect } from 'chai';
import { forceLeaveDecision } from '../../src/agent/core/force-leave.js';
import { createApi } from '../../src/agent/http/api.js';
import type { AgentControl } from '../../src/agent/http/control-api.js';
import type { MemberRecord } from '../../src/agent/wire/messages.js';
import { type ServedApi, serveApi } from '../../src/net/serve-api.js';
import { FakeAgent } from './fake-agent.js';

const record = (name: string, state: MemberRecord['state']): MemberRecord => ({
  name,
  addr: '10.0.0.9:7946',
  generation: 1,
  incarnation: 0,
  state,
  tags: {},
});

const servers: ServedApi[] = [];

async function app() {
  const asked: string[] = [];
  const view = new Map([
    ['gone', record('gone', 'dead')],
    ['up', record('up', 'alive')],
    ['odd', record('odd', 'suspect')],
  ]);
  const control = {
    forceLeave: (name: string) => {
      asked.push(name);
      return forceLeaveDecision('me', name, view.get(name));
    },
  } as Partial<AgentControl> as AgentControl;
  const served = await serveApi(createApi(new FakeAgent(), { control, token: 'tok' }), '127.0.0.1:0');
  servers.push(served);
  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${served.url}/v1/force-leave`, {
      method: 'POST',
      body,
      headers: { authorization: 'Bearer tok', 'content-type': 'application/json', ...headers },
    });
  return { asked, post };
}

describe('POST /v1/force-leave', () => {
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  it('marks a dead member left: 200 with the new state', async () => {
    const { post } = await app();
    const res = await post(JSON.stringify({ name: 'gone' }));
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ name: 'gone', state: 'left', previous: 'dead' });
  });

  it('refuses unknown (404), alive, suspect and self (409) with the reason', async () => {
    const { post } = await app();
    for (const [name, status, text] of [
      ['nobody', 404, "no member named 'nobody'"],
      ['up', 409, "'up' is alive"],
      ['odd', 409, "'odd' is suspect"],
      ['me', 409, "'me' is this agent"],
    ] as const) {
      const res = await post(JSON.stringify({ name }));
      expect(res.status, name).to.equal(status);
      expect(((await res.json()) as { error: string }).error).to.include(text);
    }
  });

  it('validates the body before asking the agent, and requires the token', async () => {
    const { asked, post } = await app();
    for (const body of [
      '{',
      '[]',
      '{}',
      '{"name":""}',
      '{"name":5}',
      '{"name":"a\\u0000"}',
      '{"name":"x","y":1}',
    ])
      expect((await post(body)).status, body).to.equal(400);
    expect((await post(JSON.stringify({ name: 'x'.repeat(129) }))).status).to.equal(400);
    expect((await post('{"name":"gone"}', { 'content-type': 'text/plain' })).status).to.equal(415);
    expect((await post('{"name":"gone"}', { authorization: 'Bearer wrong' })).status).to.equal(401);
    expect(asked).to.deep.equal([]);
  });
});
