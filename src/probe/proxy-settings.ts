// The HTTP proxy the runtime sends its upstream through (`https_proxy` in edgeAgent's and edgeHub's
// environment) and the names it exempts (`no_proxy`). Behind such a proxy the proxy, not the device,
// resolves the hub's name, so the probe must take the same path for the same names. Pure and total:
// the parsers return a sentence instead of throwing, and no sentence ever quotes the URL, so a password
// in it (or a fragment of one, when the URL splits somewhere unexpected) cannot reach a log or the twin.
import net from 'node:net';
import ipaddr from 'ipaddr.js';

/** Where the proxy is and how to authenticate to it. */
export interface ProxyEndpoint {
  /** `http://host:port`, never with user information: the only form that is shown anywhere. */
  url: string;
  /** Lower case; an IPv6 address without brackets. */
  host: string;
  port: number;
  /** `Basic …` (RFC 7617) when the URL carried credentials. A secret: never log it. */
  authorization?: string;
}

export interface ProxySettings extends ProxyEndpoint {
  noProxy: NoProxyRule[];
}

/** One `no_proxy` entry, parsed. A rule with `port` matches only connections to that port. */
export type NoProxyRule =
  | { kind: 'all' }
  /** `example.com` and `.example.com` alike: the name itself and every name under it (as curl does). */
  | { kind: 'domain'; name: string; port?: number }
  | { kind: 'cidr'; network: string; bits: number; port?: number };

/** Bounds on `no_proxy`: entries past the 64th are ignored with a note, as are entries longer than a name can be. */
export const NO_PROXY_LIMITS = { entries: 64, entryLength: 253 } as const;

const MAX_URL_LENGTH = 2048;
const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
// Letters, digits, `-` and `_` (internal names have them; curl does not judge), dot-separated labels.
const NAME = /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;

/**
 * `http://[user[:password]@]host[:port][/]`, or `host:port` without a scheme (read as http, as curl and
 * the runtime do). IPv6 hosts in brackets; port 80 by default. User and password are percent-decoded and
 * kept only as the `Proxy-Authorization` value. Returns the endpoint, or a sentence saying what is wrong.
 */
export function parseProxyUrl(text: string): ProxyEndpoint | string {
  if (typeof text !== 'string') return 'the proxy URL must be text';
  const trimmed = text.trim();
  if (trimmed === '') return 'the proxy URL is empty';
  if (trimmed.length > MAX_URL_LENGTH) return `the proxy URL is longer than ${MAX_URL_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\s\x00-\x1f\x7f]/.test(trimmed)) return 'the proxy URL contains spaces or control characters';
  const scheme = SCHEME.exec(trimmed);
  if (scheme) {
    const name = scheme[1]!.toLowerCase();
    if (name === 'https') return 'an https:// proxy (TLS to the proxy) is not supported: use http://host:port';
    if (name !== 'http') return 'the proxy URL must start with http:// (socks and other schemes are not supported)';
  }
  let authority = scheme ? trimmed.slice(scheme[0].length) : trimmed;
  if (authority.endsWith('/')) authority = authority.slice(0, -1);
  if (/[/?#]/.test(authority)) return 'the proxy URL must be http://host:port, without a path, query or fragment';
  // The last `@` ends the user information, as in WHATWG URL parsing: an unencoded `@` in a password stays in it.
  const at = authority.lastIndexOf('@');
  const authorization = at < 0 ? undefined : basicAuthorization(authority.slice(0, at));
  if (authorization instanceof Error) return authorization.message;
  const hostPort = splitHostPort(authority.slice(at + 1));
  if (typeof hostPort === 'string') return hostPort;
  const { host, port = 80 } = hostPort;
  const shown = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${shown}:${port}`, host, port, ...(authorization ? { authorization } : {}) };
}

// RFC 7617: `Basic base64(user-id ":" password)`, UTF-8. A user-id cannot contain a colon.
function basicAuthorization(userinfo: string): string | undefined | Error {
  const colon = userinfo.indexOf(':');
  const user = percentDecode(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = percentDecode(colon < 0 ? '' : userinfo.slice(colon + 1));
  if (user === undefined || password === undefined) {
    return new Error("the proxy URL's user information has an invalid percent-encoding");
  }
  if (user.includes(':'))
    return new Error("the proxy URL's user name contains a colon, which Basic authentication cannot carry");
  if (user === '' && password === '') return undefined;
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

function percentDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** `host`, `host:port`, `[v6]`, `[v6]:port` → lower-case host and port; an empty port (`host:`) is no port. */
function splitHostPort(text: string): { host: string; port?: number } | string {
  const match = /^(?:\[([^\]]*)\]|([^:[\]]*))(?::(\d*))?$/.exec(text);
  if (!match) return 'the proxy URL must be http://host:port (an IPv6 address in brackets), with a numeric port';
  const host = (match[1] ?? match[2]!).toLowerCase();
  if (host === '') return 'the proxy URL has no host';
  if (host.length > 253) return "the proxy URL's host is longer than 253 characters";
  if (match[1] !== undefined ? net.isIPv6(host) === false : !(net.isIPv4(host) || NAME.test(host))) {
    return "the proxy URL's host is not a valid host name or IP address";
  }
  if (match[3] === undefined || match[3] === '') return { host };
  const port = Number(match[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return "the proxy URL's port must be 1–65535";
  return { host, port };
}

/**
 * `no_proxy` as curl reads it: comma-separated, whitespace trimmed, case-insensitive. `*` alone exempts
 * everything; a name (with or without a leading `.`, or `*.`) exempts itself and its subdomains; an IP
 * address or CIDR exempts IP-literal hosts inside it; `:port` after a name or address (IPv6 in brackets)
 * limits the entry to that port. Entries that are none of these, and those past the bounds, are ignored
 * and named in `notes` (the runtime's HTTP clients skip what they cannot read too).
 */
export function parseNoProxy(text: string | undefined): { rules: NoProxyRule[]; notes: string[] } {
  const rules: NoProxyRule[] = [];
  const notes: string[] = [];
  if (typeof text !== 'string') return { rules, notes };
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length > NO_PROXY_LIMITS.entries) {
    notes.push(`no_proxy has ${entries.length} entries: only the first ${NO_PROXY_LIMITS.entries} are used`);
  }
  for (const entry of entries.slice(0, NO_PROXY_LIMITS.entries)) {
    const rule = entry.length > NO_PROXY_LIMITS.entryLength ? undefined : parseNoProxyEntry(entry.toLowerCase());
    if (rule) rules.push(rule);
    else notes.push(`no_proxy entry ${quote(entry)} is not a name, address or CIDR: ignored`);
  }
  return { rules, notes };
}

function parseNoProxyEntry(entry: string): NoProxyRule | undefined {
  if (entry === '*') return { kind: 'all' };
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  const withPort = /^([^:]+):(\d+)$/.exec(entry);
  const [body, portText] = bracketed ? [bracketed[1]!, bracketed[2]] : withPort ? [withPort[1]!, withPort[2]] : [entry];
  const port = portText === undefined ? undefined : Number(portText);
  if (port !== undefined && !(port >= 1 && port <= 65535)) return undefined;
  const limit = port === undefined ? {} : { port };
  const cidr = parseCidr(body);
  if (cidr) return { kind: 'cidr', ...cidr, ...limit };
  if (bracketed) return undefined;
  const name = body.replace(/^\*?\./, '').replace(/\.$/, '');
  return NAME.test(name) ? { kind: 'domain', name, ...limit } : undefined;
}

/** `10.0.0.0/8`, `fd00::/8`, or a bare address (a /32 or /128). */
function parseCidr(text: string): { network: string; bits: number } | undefined {
  const match = /^([^/%]+)(?:\/(\d{1,3}))?$/.exec(text);
  const address = match ? addressOf(match[1]!) : undefined;
  if (!match || !address) return undefined;
  const max = address.kind() === 'ipv4' ? 32 : 128;
  const mappedBits = address.kind() === 'ipv4' && net.isIPv6(match[1]!) ? 96 : 0;
  const bits = match[2] === undefined ? max : Number(match[2]) - mappedBits;
  if (!(bits >= 0 && bits <= max)) return undefined;
  return { network: address.toString(), bits };
}

/** An IP literal (strict text: not `127.1` or `0x7f.0.0.1`) as ipaddr.js reads it; undefined for anything else. */
function addressOf(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (net.isIP(text) === 0) return undefined;
  try {
    return unmapped(ipaddr.parse(text));
  } catch {
    return undefined;
  }
}

/** IPv4-mapped IPv6 (`::ffff:10.1.2.3`) is its IPv4 address: that is where the packets go. */
function unmapped(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() ? address.toIPv4Address() : address;
}

/** Whether a connection to `host:port` goes through the proxy: true unless a `no_proxy` rule exempts it. */
export function proxyApplies(settings: Pick<ProxySettings, 'noProxy'>, host: string, port: number): boolean {
  const name = String(host)
    .trim()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  const address = addressOf(name);
  return !settings.noProxy.some((rule) => {
    if (rule.kind === 'all') return true;
    if (rule.port !== undefined && rule.port !== port) return false;
    if (rule.kind === 'cidr') {
      if (!address) return false;
      const network = ipaddr.parse(rule.network);
      return network.kind() === address.kind() && address.match(network, rule.bits);
    }
    return address === undefined && (name === rule.name || name.endsWith(`.${rule.name}`));
  });
}

/** Where the settings came from, for the lead's CLI: `--proxy URL` overrides the environment, `--no-proxy` turns it off. */
export interface ProxySources {
  env: Readonly<Record<string, string | undefined>>;
  /** `--proxy URL`. */
  proxy?: string;
  /** `--no-proxy`: connect directly whatever the environment says. */
  direct?: boolean;
}

/**
 * The proxy the runtime would use: `https_proxy`, else `HTTPS_PROXY` (lower case first, as curl reads
 * them; an empty value counts as unset), with `no_proxy`, else `NO_PROXY`. No settings when none is set.
 * `error` says why a configured proxy cannot be used; it never quotes the URL.
 */
export function proxyFromEnvironment(sources: ProxySources): {
  settings?: ProxySettings;
  error?: string;
  notes: string[];
} {
  if (sources.direct) return { notes: [] };
  const pick = (lower: string, upper: string) => nonEmpty(sources.env[lower]) ?? nonEmpty(sources.env[upper]);
  const text = nonEmpty(sources.proxy) ?? pick('https_proxy', 'HTTPS_PROXY');
  if (text === undefined) return { notes: [] };
  const { rules, notes } = parseNoProxy(pick('no_proxy', 'NO_PROXY'));
  const endpoint = parseProxyUrl(text);
  if (typeof endpoint === 'string') return { error: endpoint, notes };
  return { settings: { ...endpoint, noProxy: rules }, notes };
}

function nonEmpty(value: string | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** An entry as a note quotes it: printable, at most 64 characters. */
function quote(entry: string): string {
  const printable = entry.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(printable.length > 64 ? `${printable.slice(0, 61)}...` : printable);
}
