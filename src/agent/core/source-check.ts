// Addresses that arrive in packets, checked against where the packet came from, so that without a
// keyring a third party cannot aim this node's traffic at an address of its choosing (docs/design.md,
// "Addresses from packets"). Pure functions: the transport reports the source, the core decides.
import { parseAddr } from '../../net/address.js';
import type { Addr, MemberRecord } from '../wire/messages.js';

const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const V6 = /^[0-9a-f:.]+(%[a-z0-9._-]+)?$/;

/** The host of an address, lower-cased, an IPv4-mapped IPv6 host as plain IPv4; null if unparsable. */
export function hostOf(addr: Addr): string | null {
  let host: string;
  try {
    host = parseAddr(addr).host.toLowerCase();
  } catch {
    return null;
  }
  return host.startsWith('::ffff:') && V4.test(host.slice(7)) ? host.slice(7) : host;
}

/** An IP literal (never a name that would need a DNS lookup to send to). */
export function isIpHost(host: string): boolean {
  return V4.test(host) || (host.includes(':') && V6.test(host));
}

/** An address whose host is an IP literal: the only kind taken from a packet and sent to. */
export function isIpAddr(addr: Addr): boolean {
  const host = hostOf(addr);
  return host !== null && isIpHost(host);
}

function unspecified(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

function loopback(host: string): boolean {
  return host.startsWith('127.') || host === '::1';
}

/**
 * Whether an address a packet claims for its sender (or a record for itself) agrees with the
 * packet's source: same IP host (ports differ: a stream's source port is ephemeral). An agent bound
 * to 0.0.0.0 without an advertised address claims 0.0.0.0, which only a loopback source may do.
 */
export function claimMatchesSource(claimed: Addr, source: Addr): boolean {
  const c = hostOf(claimed);
  const s = hostOf(source);
  if (c === null || s === null || !isIpHost(c)) return false;
  if (c === s) return true;
  return unspecified(c) && loopback(s);
}

/**
 * Without a keyring, a record's address must be an IP literal (a name from a packet is never
 * resolved), and a record about the sender itself must name the host it sends from (`source`, when
 * known). An unparsable address passes here: it is the record check's to count (bad-record).
 */
export function memberAddrAllowed(
  encrypted: boolean,
  r: MemberRecord,
  sender: string,
  source: Addr | undefined,
): boolean {
  if (encrypted || hostOf(r.addr) === null) return true;
  return (
    isIpAddr(r.addr) && (r.name !== sender || source === undefined || claimMatchesSource(r.addr, source))
  );
}
