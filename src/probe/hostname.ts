// Syntax of what users type: hostnames (RFC 1123), DNS server endpoints and port lists.
// Pure and total: every function answers, none throws, so config, CLI and methods share one grammar.
import net from 'node:net';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** Lower-case, without a trailing dot: the form every comparison uses. */
export function normalizeHostname(host: string): string {
  return host.trim().replace(/\.$/, '').toLowerCase();
}

/** RFC 1123 hostname: labels of 1–63 letters, digits and inner hyphens, 253 characters at most. */
export function isValidHostname(host: string): boolean {
  const h = host.endsWith('.') ? host.slice(0, -1) : host;
  if (h.length === 0 || h.length > 253) return false;
  return h.split('.').every((label) => LABEL.test(label));
}

/** A hostname or an IP literal (a target may be configured by address, which TLS then cannot verify). */
export function isValidHost(host: string): boolean {
  return net.isIP(host) !== 0 || isValidHostname(host);
}

export function isValidPort(port: unknown): port is number {
  return typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535;
}

export interface ServerEndpoint {
  address: string;
  port: number;
  family: 4 | 6;
}

/** `ip`, `ip:port`, `[ipv6]` or `[ipv6]:port` → endpoint (port 53 by default); undefined when invalid. */
export function parseServerEndpoint(text: string): ServerEndpoint | undefined {
  const s = text.trim();
  let address = s;
  let port = 53;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (bracketed) {
    address = bracketed[1]!;
    if (bracketed[2] !== undefined) port = Number(bracketed[2]);
  } else if (net.isIP(s) === 0) {
    const hostPort = /^([^:]+):(\d+)$/.exec(s);
    if (!hostPort) return undefined;
    address = hostPort[1]!;
    port = Number(hostPort[2]);
  }
  const family = net.isIP(address);
  if (family === 0 || !isValidPort(port)) return undefined;
  return { address, port, family: family as 4 | 6 };
}

/** An explicit DNS server as results name it: `ip:port`, `[ipv6]:port` (the second spelled out: TypeScript matches
 *  a template's `${string}` up to the first `:`, which an IPv6 address has many of). */
export type ServerName = `${string}:${number}` | `[${string}]:${number}`;

/** How an endpoint is named in results: `ip:port`, `[ipv6]:port`. */
export function formatServerEndpoint(e: ServerEndpoint): ServerName {
  return e.family === 6 ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}
