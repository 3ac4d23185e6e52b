// A tiny authoritative DNS server on 127.0.0.1 for --join-dns tests: answers A and SRV questions
// from a fixed table, NXDOMAIN otherwise.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

export interface DnsTable {
  a?: Record<string, string[]>;
  srv?: Record<string, Array<{ target: string; port: number }>>;
}

export async function startDnsServer(
  table: DnsTable,
): Promise<{ addr: string; queries: string[]; close(): void }> {
  const sock = dgram.createSocket('udp4');
  const queries: string[] = [];
  sock.on('message', (msg, rinfo) => {
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const question = q.questions?.[0];
    if (!question) return;
    queries.push(`${question.type} ${question.name}`);
    const answers: dnsPacket.Answer[] = [];
    if (question.type === 'A') {
      for (const ip of table.a?.[question.name] ?? [])
        answers.push({ type: 'A', name: question.name, ttl: 5, data: ip });
    }
    if (question.type === 'SRV') {
      for (const r of table.srv?.[question.name] ?? []) {
        answers.push({
          type: 'SRV',
          name: question.name,
          ttl: 5,
          data: { target: r.target, port: r.port, priority: 0, weight: 1 },
        });
      }
    }
    const known = (table.a?.[question.name] ?? table.srv?.[question.name]) !== undefined;
    const reply = dnsPacket.encode({
      type: 'response',
      id: q.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (known ? 0 : 3), // rcode 3 = NXDOMAIN
      questions: q.questions,
      answers,
    });
    sock.send(reply, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  return { addr: `127.0.0.1:${sock.address().port}`, queries, close: () => sock.close() };
}
