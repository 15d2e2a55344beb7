// The container's own name-resolution context: `/etc/resolv.conf` (which resolver the system path asks)
// and `/etc/hosts` (names answered before any resolver is asked). Pure parsers, total over any text.
import net from 'node:net';
import { isValidHostname, normalizeHostname } from '../probe/hostname.js';

/** Docker's embedded DNS server, written into resolv.conf of containers on user-defined networks. */
export const DOCKER_EMBEDDED_DNS = '127.0.0.11';

export interface ResolvConf {
  /** `nameserver` lines that hold an IP address, in order. */
  nameservers: string[];
  /** The search list (`search`, or `domain`: the last of the two wins, as in glibc). */
  search: string[];
  /** `options ndots:N` (glibc caps it at 15); 1 when unset. */
  ndots: number;
  /** A nameserver is Docker's embedded resolver 127.0.0.11. */
  dockerEmbedded: boolean;
}

// glibc: "#" or ";" in the first column starts a comment; keywords are followed by blanks.
function directives(text: string): string[][] {
  return text
    .split(/\r?\n/)
    .filter((line) => !/^\s*[#;]/.test(line))
    .map((line) =>
      line
        .trim()
        .split(/\s+/)
        .filter((w) => w !== ''),
    )
    .filter((words) => words.length > 0);
}

/** An IP literal, with an IPv6 zone (`fe80::1%eth0`) allowed as glibc allows it. */
function isAddress(value: string): boolean {
  return net.isIP(value.replace(/%[^%]+$/, '')) !== 0;
}

export function parseResolvConf(text: string): ResolvConf {
  const result: ResolvConf = { nameservers: [], search: [], ndots: 1, dockerEmbedded: false };
  for (const [keyword, ...args] of directives(text)) {
    if (keyword === 'nameserver' && args[0] !== undefined && isAddress(args[0])) {
      result.nameservers.push(args[0]);
    } else if (keyword === 'search' || keyword === 'domain') {
      result.search = args.filter(isValidHostname).map(normalizeHostname);
    } else if (keyword === 'options') {
      for (const option of args) {
        const ndots = /^ndots:(\d+)$/.exec(option);
        if (ndots) result.ndots = Math.min(Number(ndots[1]), 15);
      }
    }
  }
  result.dockerEmbedded = result.nameservers.includes(DOCKER_EMBEDDED_DNS);
  return result;
}

/** Lower-case hostname → the addresses `/etc/hosts` gives it, in file order. */
export type HostsTable = ReadonlyMap<string, readonly string[]>;

/** `address name [aliases...]` lines; `#` starts a comment anywhere; lines with a non-IP first field are skipped. */
export function parseHosts(text: string): HostsTable {
  const table = new Map<string, string[]>();
  for (const raw of text.split(/\r?\n/)) {
    const [address, ...names] = raw.replace(/#.*$/, '').trim().split(/\s+/);
    if (address === undefined || !isAddress(address)) continue;
    for (const name of names) {
      if (!isValidHostname(name)) continue;
      const key = normalizeHostname(name);
      const addresses = table.get(key) ?? [];
      if (!addresses.includes(address)) addresses.push(address);
      table.set(key, addresses);
    }
  }
  return table;
}
