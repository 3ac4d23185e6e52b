// HOST:PORT addresses as the agent, its CLI and the operator write them (shared by all of them).

export class AddressError extends Error {
  constructor(readonly input: string) {
    super(`invalid address '${input}': expected HOST:PORT`);
    this.name = 'AddressError';
  }
}

export interface HostPort {
  /** Without brackets, e.g. "::1" or "10.0.0.1" or "node-0.svc". */
  host: string;
  port: number;
}

// A hostname or IPv4 literal: no spaces, no brackets, no colons (those need the [v6] form).
const PLAIN_HOST = /^[A-Za-z0-9._-]+$/;
// An IPv6 literal, optionally with a zone ("fe80::1%eth0").
const V6_HOST = /^[0-9A-Fa-f:.]+(%[A-Za-z0-9._-]+)?$/;

/** Parses "host:port" or "[v6]:port"; throws AddressError for anything else. */
export function parseAddr(s: string): HostPort {
  let host: string;
  let portText: string;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0 || s[close + 1] !== ':') throw new AddressError(s);
    host = s.slice(1, close);
    portText = s.slice(close + 2);
    if (!V6_HOST.test(host) || !host.includes(':')) throw new AddressError(s);
  } else {
    const colon = s.lastIndexOf(':');
    if (colon < 0) throw new AddressError(s);
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
    if (!PLAIN_HOST.test(host)) throw new AddressError(s);
  }
  if (!/^[0-9]{1,5}$/.test(portText)) throw new AddressError(s);
  const port = Number(portText);
  if (port > 65_535) throw new AddressError(s);
  return { host, port };
}

/** Formats host and port as HOST:PORT (an agent's Addr), bracketing IPv6 hosts. */
export function formatAddr(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** True when the host is an IPv6 literal (so sockets must be udp6 / IPv6). */
export function isIpv6Host(host: string): boolean {
  return host.includes(':');
}
