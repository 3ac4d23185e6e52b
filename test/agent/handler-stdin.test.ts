// What an event handler reads on stdin for a member change: one line, whatever a peer put in its tags.
import { expect } from 'chai';
import { type HandlerEvent, handlerStdin } from '../../src/agent/hooks/event-handler.js';

const memberEvent = (tags: Record<string, string>) =>
  ({
    kind: 'member',
    at: 0,
    member: { name: 'n1', addr: '10.0.0.1:7946', state: 'alive', tags },
    previous: null,
    via: 'rumor',
    origin: null,
    originTime: null,
    hops: null,
  }) as unknown as HandlerEvent;

describe('event handler stdin', () => {
  it('is one tab-separated line per member change', () => {
    expect(handlerStdin(memberEvent({ role: 'web', zone: 'a' })).toString()).to.equal(
      'n1\t10.0.0.1:7946\talive\trole=web,zone=a\n',
    );
  });

  it("escapes tabs and newlines in a peer's tags, so they cannot add fields or lines", () => {
    const line = handlerStdin(memberEvent({ 'ro\tle': 'web\nn2\t10.0.0.2:1\tdead\t' })).toString();
    expect(line.split('\n')).to.deep.equal([
      'n1\t10.0.0.1:7946\talive\tro\\u0009le=web\\u000an2\\u000910.0.0.2:1\\u0009dead\\u0009',
      '',
    ]);
  });
});
