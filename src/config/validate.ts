// A whole desired document → the configuration the module runs with, or every fault in it
// (an invalid document is rejected as a whole; the last good configuration keeps running).
import { isValidCidr } from '../probe/address.js';
import { DEFAULT_SETTINGS } from '../probe/defaults.js';
import { formatServerEndpoint, parseServerEndpoint } from '../probe/hostname.js';
import { HOSTNAME_POLICIES, type ProbeSettings } from '../probe/types.js';
import { isPlainObject, own, type JsonObject } from './json.js';
import { DEFAULT_FLAPPING } from '../report/flapping.js';
import { HISTORY_RUNS } from '../report/history.js';
import {
  DESIRED_KEYS,
  TELEMETRY_DETAIL_MODES,
  type DesiredDoc,
  type FlappingConfig,
  type ModuleConfig,
  type TelemetryConfig,
  type ValidationResult,
} from './model.js';
import {
  Faults,
  isAbsent,
  listFitsTwin,
  readBoolean,
  readEnum,
  readField,
  readInteger,
  readList,
  readObject,
  readString,
} from './read.js';
import { LIST_LIMITS } from './lists.js';
import { layerSettings, TIMEOUT_MS_LIMITS, type SettingsLayer } from './settings.js';
import { readTargets } from './targets.js';

export const DEFAULT_INTERVAL_SECONDS = 300;
export const DEFAULT_TELEMETRY: Readonly<TelemetryConfig> = {
  enabled: true,
  output: 'probeResults',
  onChangeOnly: false,
  detail: 'auto',
};

/** edgeHub output names are used in routes (`FROM /messages/modules/<m>/outputs/<output>`). */
const OUTPUT_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The keys of a document that carry content: twin metadata (`$…`) and deleted (`null`) keys are not. */
export function contentKeys(doc: JsonObject): string[] {
  return Object.keys(doc).filter((key) => !key.startsWith('$') && !isAbsent(doc[key]));
}

export function validateDesired(doc: DesiredDoc): ValidationResult {
  const faults = new Faults();
  const known: readonly string[] = DESIRED_KEYS;
  for (const key of contentKeys(doc)) {
    if (!known.includes(key)) faults.add([key], `unknown key '${key}'`);
  }
  const integer = (min: number, max: number) => (v: unknown, path: string[]) => readInteger(v, path, min, max, faults);
  const intervalSeconds = readField(doc, [], 'intervalSeconds', DEFAULT_INTERVAL_SECONDS, integer(10, 86_400));
  const timeoutMs = readField(
    doc,
    [],
    'timeoutMs',
    DEFAULT_SETTINGS.timeoutMs,
    integer(TIMEOUT_MS_LIMITS.min, TIMEOUT_MS_LIMITS.max),
  );
  const hostnamePolicy = readField(doc, [], 'hostnamePolicy', DEFAULT_SETTINGS.hostnamePolicy, (v, path) =>
    readEnum(v, HOSTNAME_POLICIES, path, faults),
  );
  const dns = readDns(own(doc, 'dns') ?? {}, faults);
  const targets = readField(doc, [], 'targets', [], (v) => readTargets(v, faults));
  const autoTargets = readField(doc, [], 'autoTargets', true, (v, path) => readBoolean(v, path, faults));
  const telemetry = readTelemetry(own(doc, 'telemetry') ?? {}, faults);
  const flapping = readFlapping(own(doc, 'flapping') ?? {}, faults);
  const serviceCheck = readField(doc, [], 'serviceCheck', DEFAULT_SETTINGS.serviceCheck, (v, path) =>
    readBoolean(v, path, faults),
  );
  if (
    faults.errors.length > 0 ||
    intervalSeconds === undefined ||
    timeoutMs === undefined ||
    hostnamePolicy === undefined ||
    dns === undefined ||
    targets === undefined ||
    autoTargets === undefined ||
    telemetry === undefined ||
    flapping === undefined ||
    serviceCheck === undefined
  ) {
    return { ok: false, errors: faults.errors };
  }
  const explicit = desiredLayer(doc, { timeoutMs, hostnamePolicy, serviceCheck, ...dns });
  return {
    ok: true,
    config: { intervalSeconds, settings: layerSettings(explicit), explicit, targets, autoTargets, telemetry, flapping },
  };
}

/** The settings the document itself sets, as read: the desired layer of the settings pipeline (settings.ts). */
function desiredLayer(
  doc: DesiredDoc,
  read: Pick<
    ProbeSettings,
    'timeoutMs' | 'hostnamePolicy' | 'serviceCheck' | 'dnsServers' | 'systemDns' | 'privateRanges'
  >,
): SettingsLayer {
  const dns = own(doc, 'dns');
  const sets = (object: unknown, key: string) => isPlainObject(object) && !isAbsent(own(object, key));
  return {
    ...(sets(doc, 'timeoutMs') ? { timeoutMs: read.timeoutMs } : {}),
    ...(sets(doc, 'hostnamePolicy') ? { hostnamePolicy: read.hostnamePolicy } : {}),
    ...(sets(doc, 'serviceCheck') ? { serviceCheck: read.serviceCheck } : {}),
    ...(sets(dns, 'servers') ? { dnsServers: read.dnsServers } : {}),
    ...(sets(dns, 'system') ? { systemDns: read.systemDns } : {}),
    ...(sets(dns, 'privateRanges') ? { privateRanges: read.privateRanges } : {}),
  };
}

type DnsSettings = Pick<ProbeSettings, 'dnsServers' | 'systemDns' | 'privateRanges'>;

function readDns(value: unknown, faults: Faults): DnsSettings | undefined {
  const path = ['dns'];
  const fields = readObject(value, ['servers', 'system', 'privateRanges'], path, faults);
  if (fields === undefined) return undefined;
  const dnsServers = readField(fields, path, 'servers', [], (v, p) => readServers(v, p, faults));
  const systemDns = readField(fields, path, 'system', DEFAULT_SETTINGS.systemDns, (v, p) => readBoolean(v, p, faults));
  const privateRanges = readField(fields, path, 'privateRanges', [...DEFAULT_SETTINGS.privateRanges], (v) =>
    readRanges(v, faults),
  );
  if (systemDns === false && dnsServers?.length === 0) {
    faults.add(['dns', 'system'], 'is false but dns.servers is empty: nothing would resolve the targets');
  }
  if (dnsServers === undefined || systemDns === undefined || privateRanges === undefined) return undefined;
  return { dnsServers, systemDns, privateRanges };
}

/**
 * Servers in the form results name them (`10.0.0.4:53`, `[fd00::4]:53`), duplicates dropped: `dns.servers`,
 * and the `probe` method's `dnsServers`.
 */
export function readServers(value: unknown, path: string[], faults: Faults): string[] | undefined {
  const list = readList(value, path, LIST_LIMITS.dnsServers, faults);
  if (list === undefined) return undefined;
  const servers: string[] = [];
  for (const text of list) {
    const endpoint = parseServerEndpoint(text);
    if (endpoint === undefined) {
      faults.add(path, `'${text.slice(0, 64)}' is not a DNS server: use ip, ip:port or [ipv6]:port`);
      return undefined;
    }
    const server = formatServerEndpoint(endpoint);
    if (!servers.includes(server)) servers.push(server);
  }
  return listFitsTwin(servers, path, faults) ? servers : undefined;
}

function readRanges(value: unknown, faults: Faults): string[] | undefined {
  const path = ['dns', 'privateRanges'];
  const list = readList(value, path, LIST_LIMITS.privateRanges, faults);
  if (list === undefined) return undefined;
  const wrong = list.find((cidr) => !isValidCidr(cidr));
  if (wrong !== undefined) {
    faults.add(path, `'${wrong.slice(0, 64)}' is not a CIDR: use address/prefix, e.g. 10.0.0.0/8 or fc00::/7`);
    return undefined;
  }
  // With no range, every address would count as public and every private endpoint as broken.
  if (list.length === 0) {
    faults.add(path, 'must list at least one CIDR (delete the key for the defaults)');
    return undefined;
  }
  const unique = [...new Set(list)];
  return listFitsTwin(unique, path, faults) ? unique : undefined;
}

function readTelemetry(value: unknown, faults: Faults): TelemetryConfig | undefined {
  const path = ['telemetry'];
  const fields = readObject(value, ['enabled', 'output', 'onChangeOnly', 'detail'], path, faults);
  if (fields === undefined) return undefined;
  const boolean = (v: unknown, p: string[]) => readBoolean(v, p, faults);
  const enabled = readField(fields, path, 'enabled', DEFAULT_TELEMETRY.enabled, boolean);
  const output = readField(fields, path, 'output', DEFAULT_TELEMETRY.output, (v) => readOutput(v, faults));
  const onChangeOnly = readField(fields, path, 'onChangeOnly', DEFAULT_TELEMETRY.onChangeOnly, boolean);
  const detail = readField(fields, path, 'detail', DEFAULT_TELEMETRY.detail, (v, p) =>
    readEnum(v, TELEMETRY_DETAIL_MODES, p, faults),
  );
  if (enabled === undefined || output === undefined || onChangeOnly === undefined || detail === undefined)
    return undefined;
  return { enabled, output, onChangeOnly, detail };
}

function readFlapping(value: unknown, faults: Faults): FlappingConfig | undefined {
  const path = ['flapping'];
  const fields = readObject(value, ['enabled', 'changes', 'window'], path, faults);
  if (fields === undefined) return undefined;
  const enabled = readField(fields, path, 'enabled', true, (v, p) => readBoolean(v, p, faults));
  // One change is an incident, not flapping; the history keeps HISTORY_RUNS runs to count over.
  const count = (v: unknown, p: string[]) => readInteger(v, p, 2, HISTORY_RUNS, faults);
  const changes = readField(fields, path, 'changes', DEFAULT_FLAPPING.changes, count);
  const window = readField(fields, path, 'window', DEFAULT_FLAPPING.window, count);
  if (enabled === undefined || changes === undefined || window === undefined) return undefined;
  if (changes > window) {
    faults.add(
      ['flapping', 'changes'],
      `${changes} changes cannot happen within a window of ${window} runs: make changes at most window`,
    );
    return undefined;
  }
  return { enabled, changes, window };
}

function readOutput(value: unknown, faults: Faults): string | undefined {
  const path = ['telemetry', 'output'];
  const text = readString(value, path, faults);
  if (text === undefined) return undefined;
  if (OUTPUT_NAME.test(text)) return text;
  faults.add(path, `'${text.slice(0, 64)}' is not an output name: 1–64 letters, digits, '_' or '-'`);
  return undefined;
}

/** The configuration of an empty desired document: what runs before the twin has been read. */
export const DEFAULT_CONFIG: ModuleConfig = defaultConfig();

function defaultConfig(): ModuleConfig {
  const result = validateDesired({});
  if (!result.ok) throw new Error(`defaults do not validate: ${JSON.stringify(result.errors)}`);
  return result.config;
}
