// Lists as operators type them: a JSON array or a comma-separated string ("8883,5671,443").
// Shared by desired properties, direct method payloads and the command line, so all three read the
// same text the same way. Pure and total: nothing here throws.
import { describeValue } from './json.js';

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
