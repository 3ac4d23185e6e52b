// Finds free local ports for demo agents. A gossip port must be free for UDP and TCP at the same
// number; every probe socket stays open until the whole batch is chosen, so one batch never hands
// out the same port twice. (Another program could still grab a port before the agent binds it; the
// fleet retries a start that fails.)
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';

export interface AgentPorts {
  gossip: number;
  http: number;
}

type Held = { close(): void };

function listenTcp(host: string, port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen({ host, port, exclusive: true }, () => resolve(server));
  });
}

function bindUdp(host: string, port: number): Promise<Socket | null> {
  return new Promise((resolve) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    socket.once('error', () => {
      socket.close();
      resolve(null);
    });
    socket.bind({ address: host, port, exclusive: true }, () => resolve(socket));
  });
}

async function freeTcpPort(host: string, held: Held[]): Promise<number> {
  const server = await listenTcp(host, 0);
  if (!server) throw new Error(`cannot open a TCP port on ${host}`);
  held.push({ close: () => server.close() });
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('unexpected TCP address');
  return addr.port;
}

async function freeUdpAndTcpPort(host: string, held: Held[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const udp = await bindUdp(host, 0);
    if (!udp) throw new Error(`cannot open a UDP port on ${host}`);
    const port = udp.address().port;
    const tcp = await listenTcp(host, port);
    if (tcp) {
      held.push({ close: () => udp.close() }, { close: () => tcp.close() });
      return port;
    }
    udp.close();
  }
  throw new Error(`no port on ${host} is free for both UDP and TCP`);
}

/** `count` pairs of free ports on `host`: gossip (UDP+TCP) and HTTP (TCP), all distinct. */
export async function reserveAgentPorts(host: string, count: number): Promise<AgentPorts[]> {
  const held: Held[] = [];
  try {
    const out: AgentPorts[] = [];
    for (let i = 0; i < count; i++) {
      const gossip = await freeUdpAndTcpPort(host, held);
      const http = await freeTcpPort(host, held);
      out.push({ gossip, http });
    }
    return out;
  } finally {
    for (const h of held) h.close();
  }
}
