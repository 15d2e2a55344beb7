// The `targets` desired key: hosts to probe, keyed by a twin-safe name.
import net from 'node:net';
import { isValidHost, normalizeHostname } from '../probe/hostname.js';
import { KINDS, type TargetSpec } from '../probe/types.js';
import { describeValue, isPlainObject, own } from './json.js';
import { LIST_LIMITS, parsePorts } from './lists.js';
import {
  type Faults,
  fitsItems,
  isAbsent,
  listFitsTwin,
  readBoolean,
  readEnum,
  readField,
  readList,
  readObject,
  readString,
  stringsFitTwin,
} from './read.js';

export const MAX_TARGETS = 32;

/** Names are twin keys, reported back as keys: letters, digits, `_` and `-`, 1–64 characters. */
export const TARGET_NAME = /^[A-Za-z0-9_-]{1,64}$/;

const TARGET_KEYS = ['host', 'kind', 'ports', 'expectedAddresses', 'enabled'] as const;

/** Enabled targets, sorted by name. A target whose value is `null` or whose `enabled` is false is dropped. */
export function readTargets(value: unknown, faults: Faults): TargetSpec[] {
  if (!isPlainObject(value)) {
    faults.add(
      ['targets'],
      `must be an object keyed by target name, e.g. { "acr": { "host": "…" } }, got ${describeValue(value)}`,
    );
    return [];
  }
  const targets: TargetSpec[] = [];
  for (const [name, entry] of Object.entries(value)) {
    if (isAbsent(entry)) continue;
    if (!TARGET_NAME.test(name)) {
      faults.add(['targets', name], `target name '${name.slice(0, 64)}' must be 1–64 letters, digits, '_' or '-'`);
      continue;
    }
    const target = readTarget(name, entry, faults);
    if (target !== undefined) targets.push(target);
  }
  if (targets.length > MAX_TARGETS) {
    faults.add(['targets'], `${targets.length} enabled targets, at most ${MAX_TARGETS}`);
  }
  return targets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** One target, or undefined when it is disabled or faulty (the faults are recorded). */
function readTarget(name: string, entry: unknown, faults: Faults): TargetSpec | undefined {
  const path = ['targets', name];
  const fields = readObject(entry, TARGET_KEYS, path, faults);
  if (fields === undefined) return undefined;
  const before = faults.errors.length;
  const host = readField(fields, path, 'host', undefined, (v, p) => readHost(v, p, faults));
  if (isAbsent(own(fields, 'host'))) faults.add([...path, 'host'], 'is required: the hostname or IP address to probe');
  const kind = readField(fields, path, 'kind', undefined, (v, p) => readEnum(v, KINDS, p, faults));
  const ports = readField(fields, path, 'ports', undefined, (v, p) => readPorts(v, p, faults));
  const expected = readField(fields, path, 'expectedAddresses', undefined, (v, p) => readAddresses(v, p, faults));
  const enabled = readField(fields, path, 'enabled', true, (v, p) => readBoolean(v, p, faults));
  if (faults.errors.length > before || host === undefined || enabled !== true) return undefined;
  const spec: TargetSpec = { name, host, source: 'desired' };
  if (kind !== undefined) spec.kind = kind;
  if (ports !== undefined) spec.ports = ports;
  // An empty list pins nothing: the same as no list.
  if (expected !== undefined && expected.length > 0) spec.expectedAddresses = expected;
  return spec;
}

/** A hostname or IP address, normalized: a target's `host`, and the `probe` method's. */
export function readHost(value: unknown, path: string[], faults: Faults): string | undefined {
  const text = readString(value, path, faults)?.trim();
  if (text === undefined) return undefined;
  if (isValidHost(text)) return normalizeHostname(text);
  faults.add(path, `'${text.slice(0, 64)}' is not a hostname (RFC 1123) or an IP address`);
  return undefined;
}

/** At most LIST_LIMITS.ports ports, sizes checked before anything is split: a target's `ports`, and the `probe` method's. */
export function readPorts(value: unknown, path: string[], faults: Faults): number[] | undefined {
  if (!fitsItems(value, LIST_LIMITS.ports, path, faults) || !stringsFitTwin(value, path, faults)) return undefined;
  const ports = parsePorts(value);
  if (typeof ports === 'string') {
    faults.add(path, ports);
    return undefined;
  }
  return fitsItems(ports, LIST_LIMITS.ports, path, faults) && listFitsTwin(ports.map(String), path, faults)
    ? ports
    : undefined;
}

function readAddresses(value: unknown, path: string[], faults: Faults): string[] | undefined {
  const list = readList(value, path, LIST_LIMITS.expectedAddresses, faults);
  if (list === undefined) return undefined;
  const wrong = list.find((address) => net.isIP(address) === 0);
  if (wrong !== undefined) {
    faults.add(path, `'${wrong.slice(0, 64)}' is not an IP address`);
    return undefined;
  }
  return listFitsTwin(list, path, faults) ? list : undefined;
}
