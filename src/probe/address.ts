// Address classification, step 3 of a probe: the finer class a reader sees, and whether the address is
// inside the configured private ranges — the only thing the verdict looks at. Pure; address text from DNS
// answers and configuration is never trusted, so nothing here throws on an address.
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import type { AddressClass, ClassifiedAddress } from './types.js';

type Ip = ipaddr.IPv4 | ipaddr.IPv6;

interface Cidr {
  network: Ip;
  bits: number;
}

const PARSED = Symbol('parsed ranges');

/** Configured private ranges, parsed once per configuration. Build with `parsePrivateRanges`. */
export interface PrivateRanges {
  /** The ranges as applied: network address (host bits cleared) and prefix, IPv4-mapped ranges as IPv4. */
  readonly cidrs: readonly string[];
  readonly [PARSED]: readonly Cidr[];
}

// Strict text first: ipaddr.js alone also accepts legacy IPv4 forms (`127.1`, `0x7f.0.0.1`, `2130706433`)
// that resolvers never return and a user who types them almost certainly did not mean.
function isAddressText(text: string): boolean {
  return net.isIP(text) !== 0 && ipaddr.isValid(text);
}

/** IPv4-mapped IPv6 (`::ffff:10.1.2.3`) is its IPv4 address: that is where the packets go. */
function unmapped(address: Ip): Ip {
  return address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() ? address.toIPv4Address() : address;
}

function parseAddress(text: string): Ip | undefined {
  return typeof text === 'string' && isAddressText(text) ? unmapped(ipaddr.parse(text)) : undefined;
}

function networkOf(address: Ip, bits: number): Cidr {
  const bytes = address.toByteArray().map((byte, i) => {
    const kept = Math.min(8, Math.max(0, bits - 8 * i));
    return byte & (0xff << (8 - kept)) & 0xff;
  });
  return { network: ipaddr.fromByteArray(bytes), bits };
}

// `address/prefix` with a decimal prefix. Host bits may be set (`10.1.2.3/8` means 10.0.0.0/8, as
// ipaddr.parseCIDR reads it) and are cleared. An IPv4-mapped range of /96 or longer becomes the IPv4 range it
// covers, because mapped addresses are classified as IPv4. A range is never scoped to an interface (`%eth0`).
function parseCidr(text: string): Cidr | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /^([^/%]+)\/(\d{1,3})$/.exec(text.trim());
  if (match === null || !isAddressText(match[1]!)) return undefined;
  const address = ipaddr.parse(match[1]!);
  const bits = Number(match[2]);
  if (bits > (address.kind() === 'ipv4' ? 32 : 128)) return undefined;
  if (address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() && bits >= 96) {
    return networkOf(address.toIPv4Address(), bits - 96);
  }
  return networkOf(address, bits);
}

function contains(range: Cidr, address: Ip): boolean {
  return range.network.kind() === address.kind() && address.match(range.network, range.bits);
}

/** `10.0.0.0/8`, `fc00::/7`. A bare address is not a CIDR. */
export function isValidCidr(text: string): boolean {
  return parseCidr(text) !== undefined;
}

/** Parses configured ranges; throws an Error naming the first entry that is not a CIDR. */
export function parsePrivateRanges(cidrs: readonly string[]): PrivateRanges {
  const parsed = cidrs.map((text) => {
    const cidr = parseCidr(text);
    if (cidr === undefined) {
      throw new Error(`not a CIDR: ${JSON.stringify(text)} (expected address/prefix, e.g. 10.0.0.0/8 or fc00::/7)`);
    }
    return cidr;
  });
  return { cidrs: parsed.map(({ network, bits }) => `${network.toString()}/${bits}`), [PARSED]: parsed };
}

function rangesOf(...texts: string[]): Cidr[] {
  return texts.map((text) => parseCidr(text)!);
}

// The finer class, for the reader only, checked in order. `private` is the class of RFC 1918, shared address
// space (carrier-grade NAT) and IPv6 unique local addresses whatever ranges are configured. `other` is what is
// never a unicast endpoint: "this network" / unspecified, multicast, IPv4 class E and broadcast. The
// documentation ranges (192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32) stay `public`: they are what
// test fixtures and examples answer in place of a public frontend (RFC 5737), and should read as such.
const CLASSES: readonly (readonly [AddressClass, readonly Cidr[]])[] = [
  ['loopback', rangesOf('127.0.0.0/8', '::1/128')],
  ['link-local', rangesOf('169.254.0.0/16', 'fe80::/10')],
  ['private', rangesOf('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7')],
  ['other', rangesOf('0.0.0.0/8', '224.0.0.0/4', '240.0.0.0/4', '::/128', 'ff00::/8')],
];

function classOf(address: Ip): AddressClass {
  return CLASSES.find(([, ranges]) => ranges.some((range) => contains(range, address)))?.[0] ?? 'public';
}

/**
 * Class and privacy of one address. `address` and `family` describe the text as given (a mapped address is
 * family 6: that is the socket it is reached through); class and privacy follow its IPv4 address. Text that
 * is not an IP address is `other` and not private, with the family guessed from its shape.
 */
export function classifyAddress(address: string, ranges: PrivateRanges): ClassifiedAddress {
  const parsed = parseAddress(address);
  if (parsed === undefined) {
    const family = typeof address === 'string' && address.includes(':') ? 6 : 4;
    return { address, family, class: 'other', private: false };
  }
  return {
    address,
    family: net.isIP(address) as 4 | 6,
    class: classOf(parsed),
    private: ranges[PARSED].some((range) => contains(range, parsed)),
  };
}

/**
 * Whether two address texts name the same address: IPv6 spelling (case, zero compression) and IPv4-mapped
 * IPv6 are normalized; an IPv6 zone (`%eth0`) must match too. Text that is not an address is never the same.
 */
export function sameAddress(a: string, b: string): boolean {
  const x = parseAddress(a);
  const y = parseAddress(b);
  return (
    x !== undefined && y !== undefined && x.kind() === y.kind() && x.toNormalizedString() === y.toNormalizedString()
  );
}
