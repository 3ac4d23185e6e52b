// Dissemination on its own, through DisseminationHost (with a real Membership for peer choice):
// direct mail and its retries, the retransmit limit, gossip rounds, piggyback fill.
import { expect } from 'chai';
import { type EngineConfig, resolveEngineConfig } from '../../src/agent/config/engine-schema.js';
import { Dissemination } from '../../src/agent/core/dissemination.js';
import { localRumor, memberMessage } from '../../src/agent/core/membership.js';
import { decodeMessageBytes, encodeMessage } from '../../src/agent/wire/message-codec.js';
import type { Addr, Message } from '../../src/agent/wire/messages.js';
import { framedSize } from '../../src/agent/wire/packet-codec.js';
import { lcg, member, membershipFixture, recorder, T0 } from './fakes.js';

interface Sent {
  to: Addr;
  messages: Message[];
  fill: boolean;
}

function fixture(peers: number, over: Record<string, unknown> = {}) {
  const config: EngineConfig = resolveEngineConfig(over);
  const names = Array.from({ length: peers }, (_, i) => `n${i + 1}`);
  const m = membershipFixture('n0', { config, peers: names });
  const rec = recorder();
  const sent: Sent[] = [];
  const d = new Dissemination(
    {
      rng: lcg(7),
      stats: m.stats,
      membership: m.membership,
      config: () => config,
      encode: encodeMessage,
      send: (to, messages, fill) => {
        const decoded = messages.map((b) => decodeMessageBytes(b));
        if (fill) for (const r of d.fill(1_400, framedSize)) decoded.push(decodeMessageBytes(r.bytes));
        sent.push({ to, messages: decoded, fill });
        return 1;
      },
      schedule: (at, timer) => rec.timers.push({ at, timer }),
    },
    T0,
  );
  return { d, m, sent, rec, config };
}

const update = (name: string, incarnation = 1) =>
  memberMessage(member(name, { incarnation }), name, localRumor(name, T0));

describe('Dissemination (unit, fake host)', () => {
  it('announce mails a local update to maxPeers distinct live peers, each with a mail header', () => {
    const { d, sent, m } = fixture(10, { directMail: { maxPeers: 4 } });
    d.announce(update('n0'), T0);
    expect(sent).to.have.length(4);
    expect(new Set(sent.map((s) => s.to)).size).to.equal(4);
    for (const s of sent) {
      expect(s.fill).to.equal(false);
      expect(s.messages.map((x) => x.t)).to.deep.equal(['mail', 'member']);
    }
    expect(m.stats.directMailSent).to.equal(4);
    expect(d.pendingMail).to.equal(4);
    expect(d.pendingRumors, 'also rumored').to.equal(1);
  });

  it('retries unacknowledged mail at its deadline with backoff, and not acknowledged mail', () => {
    const { d, sent, rec, m } = fixture(2, { directMail: { retryBaseMs: 100, maxAttempts: 3 } });
    d.announce(update('n0'), T0);
    const timers = rec.timers.filter((t) => t.timer.kind === 'mail');
    expect(timers).to.have.length(2);
    const [first, second] = timers as Array<{ at: number; timer: { kind: 'mail'; key: string } }>;
    expect(first!.at).to.equal(T0 + 100);
    const ackedPeer = first!.timer.key.split('/')[0]!;
    const mailId = (sent[0]!.messages[0] as Extract<Message, { t: 'mail' }>).id;
    d.mailAcked(ackedPeer, mailId);
    sent.length = 0;
    d.retryMail(first!.timer.key, T0 + 100);
    d.retryMail(second!.timer.key, T0 + 99);
    expect(sent, 'acked mail and mail not yet due are not resent').to.deep.equal([]);
    d.retryMail(second!.timer.key, T0 + 100);
    expect(sent).to.have.length(1);
    expect(m.stats.directMailRetries).to.equal(1);
    expect(m.stats.directMailAcked).to.equal(1);
    const next = rec.timers.at(-1)!;
    expect(next.at, 'the second retry waits twice as long').to.equal(T0 + 100 + 200);
  });

  it('drops mail to a peer that is gone, and counts it', () => {
    const { d, m } = fixture(3);
    d.announce(update('n0'), T0);
    expect(d.pendingMail).to.equal(3);
    d.peerGone('n2');
    expect(d.pendingMail).to.equal(2);
    expect(m.stats.directMailDropped).to.equal(1);
  });

  it('sends no mail with direct mail off, and acknowledges mail it receives', () => {
    const { d, sent } = fixture(3, { directMail: { enabled: false } });
    d.announce(update('n0'), T0);
    expect(sent).to.deep.equal([]);
    d.onMail(9, '10.0.0.5:7946');
    expect(sent).to.deep.equal([{ to: '10.0.0.5:7946', messages: [{ t: 'mail-ack', id: 9 }], fill: false }]);
  });

  it('a rumor goes cold after retransmitMult × ceil(log10(N+1)) transmissions', () => {
    // 9 peers + self = 10 live members: ceil(log10(11)) = 2.
    const { d } = fixture(9, { retransmitMult: 3 });
    d.rumor(update('n5'));
    let sends = 0;
    while (d.fill(1_400, framedSize).length > 0) sends++;
    expect(sends).to.equal(6);
    expect(d.pendingRumors).to.equal(0);
  });

  it('a newer rumor about the same member replaces the older one', () => {
    const { d } = fixture(3);
    d.rumor(update('n5', 1));
    d.rumor(update('n5', 2));
    expect(d.pendingRumors).to.equal(1);
    const [only] = d.fill(1_400, framedSize);
    expect(
      (decodeMessageBytes(only!.bytes) as Extract<Message, { t: 'member' }>).member.incarnation,
    ).to.equal(2);
  });

  it('a gossip round pushes waiting rumors to gossipFanout live peers, and nothing when none wait', () => {
    const { d, sent, rec, m, config } = fixture(10, { gossipFanout: 3 });
    d.gossip(T0 + config.gossipIntervalMs);
    expect(sent, 'no rumors, no packets').to.deep.equal([]);
    d.rumor(update('n5'));
    const roundAt = rec.timers.filter((t) => t.timer.kind === 'gossip').at(-1)!.at;
    m.membership.apply(member('n3', { state: 'dead' }), 'n4', 'rumor', null, roundAt);
    d.gossip(roundAt);
    expect(sent).to.have.length(3);
    for (const s of sent) {
      expect(s.fill).to.equal(true);
      expect(s.messages.some((x) => x.t === 'member')).to.equal(true);
      expect(s.to).to.not.equal(member('n0').addr);
    }
  });

  it('an idle node schedules no gossip rounds; the next rumor resumes them on the old beat', () => {
    const { d, sent, rec, config } = fixture(10, { gossipFanout: 3 });
    const interval = config.gossipIntervalMs;
    const gossipTimers = () => rec.timers.filter((t) => t.timer.kind === 'gossip').map((t) => t.at);
    const [first] = gossipTimers();
    d.gossip(first!);
    expect(gossipTimers(), 'nothing waits: no next round').to.deep.equal([first]);
    // A rumor 3.5 rounds later: the timer fires at once (its beat has passed) and moves to the
    // first beat not before now, as if it had kept running; it sends nothing early.
    const now = first! + 3.5 * interval;
    d.rumor(update('n5'));
    expect(gossipTimers().at(-1)).to.equal(first! + interval);
    d.gossip(now);
    expect(sent).to.deep.equal([]);
    const beat = first! + interval + interval + interval + interval;
    expect(gossipTimers().at(-1)).to.equal(beat);
    d.gossip(beat);
    expect(sent).to.have.length(3);
    expect(gossipTimers().at(-1)).to.equal(beat + interval);
    // A second rumor while the timer runs schedules nothing more.
    const count = gossipTimers().length;
    d.rumor(update('n6'));
    expect(gossipTimers()).to.have.length(count);
  });
});
