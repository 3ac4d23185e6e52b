// Seeds from DNS, the way a DaemonSet finds its peers: a headless Service name resolves to the pod
// IPs (A/AAAA records, gossip port = our own bind port), or SRV records carry the ports as well.
import { promises as dns } from 'node:dns';
import { isIP } from 'node:net';
import { formatAddr } from '../../net/address.js';
import type { Addr } from '../wire/messages.js';

export interface SeedResolver {
  resolveSrv(name: string): Promise<Array<{ name: string; port: number }>>;
  /** Host name → IP addresses. */
  addresses(host: string): Promise<string[]>;
}

/**
 * The system resolver (getaddrinfo, so /etc/hosts and search domains apply), or the given DNS
 * servers ("HOST[:PORT]", e.g. for tests or a cluster DNS other than the node's).
 */
export function seedResolver(servers: string[] = []): SeedResolver {
  const resolver = new dns.Resolver({ timeout: 2_000, tries: 2 });
  if (servers.length > 0) resolver.setServers(servers);
  return {
    resolveSrv: (name) => resolver.resolveSrv(name),
    addresses: async (host) => {
      if (servers.length === 0) return (await dns.lookup(host, { all: true })).map((a) => a.address);
      const [v4, v6] = await Promise.all([
        resolver.resolve4(host).catch(() => [] as string[]),
        resolver.resolve6(host).catch(() => [] as string[]),
      ]);
      return [...v4, ...v6];
    },
  };
}

/** SRV records when the name has them, else its addresses with `defaultPort`. Empty when nothing resolves. */
export async function resolveSeeds(
  name: string,
  defaultPort: number,
  resolver: SeedResolver,
): Promise<Addr[]> {
  const srv = await resolver.resolveSrv(name).catch(() => []);
  const out = new Set<Addr>();
  if (srv.length > 0) {
    for (const r of srv) {
      const hosts = isIP(r.name) ? [r.name] : await resolver.addresses(r.name).catch(() => []);
      for (const h of hosts) out.add(formatAddr(h, r.port));
    }
    return [...out];
  }
  const hosts = await resolver.addresses(name).catch(() => []);
  for (const h of hosts) out.add(formatAddr(h, defaultPort));
  return [...out];
}
