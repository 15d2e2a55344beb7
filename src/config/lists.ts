// Lists as operators type them: a JSON array or a comma-separated string ("8883,5671,443").
// Shared by desired properties, direct method payloads and the command line, so all three read the
// same text the same way. Pure and total: nothing here throws.
import { describeValue } from './json.js';

/**
 * The most items a list from outside — desired properties, a method payload — may hold. Each item is work in
 * every run, so a longer list is refused with the cap named, never cut (4,000 DNS servers once made one
 * `probe` call send 52,000 datagrams over 32 s).
 */
export const LIST_LIMITS = {
  /** A primary and a secondary resolver, perhaps a Private Resolver's inbound endpoints: each is asked about every target and its counterpart. */
  dnsServers: 8,
  /** The virtual networks' and on-premises ranges; the twin holds them joined in 512 bytes anyway (≈ 30 IPv4 CIDRs). */
  privateRanges: 32,
  /** IoT Hub and DPS use three (8883, 5671, 443); each port is a connection per address per run. */
  ports: 8,
  /** A private endpoint has one address per name, two with IPv6. */
  expectedAddresses: 8,
  /** Root CAs besides Azure's that are not TLS inspection (KNOWN_ROOTS, --known-root): a handful at most. */
  knownRoots: 16,
} as const;

/** Trimmed, non-empty items of a JSON array of strings or of a comma-separated string; else undefined. */
export function parseList(value: unknown): string[] | undefined {
  let items: unknown[];
  if (typeof value === 'string') items = value.split(',');
  else if (Array.isArray(value)) items = value;
  else return undefined;
  if (!items.every((item): item is string => typeof item === 'string')) return undefined;
  return items.map((item) => item.trim()).filter((item) => item.length > 0);
}

/**
 * Ports from `"8883,5671,443"` or `[8883, "443"]`: integers 1–65535, duplicates dropped (first kept),
 * at least one. Returns the ports, or a sentence saying what is wrong.
 */
export function parsePorts(value: unknown): number[] | string {
  const items = typeof value === 'number' ? [value] : Array.isArray(value) ? value : parseList(value);
  if (items === undefined) return 'must be a list of ports, e.g. "8883,443" or [8883, 443]';
  const ports: number[] = [];
  for (const raw of items) {
    const item = typeof raw === 'string' ? raw.trim() : raw;
    if (Array.isArray(value) && item === '') continue;
    const port = typeof item === 'number' ? item : typeof item === 'string' && /^\d+$/.test(item) ? Number(item) : NaN;
    if (!Number.isInteger(port)) return `${describeValue(raw)} is not a port number`;
    if (port < 1 || port > 65535) return `port ${port} is out of range 1–65535`;
    if (!ports.includes(port)) ports.push(port);
  }
  return ports.length > 0 ? ports : 'must list at least one port';
}
