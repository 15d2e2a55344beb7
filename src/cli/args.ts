// `check` arguments → targets and settings. Pure: reading files and printing happen in the caller.
// Every mistake becomes a UsageError, which the entry point turns into exit code 2 and the usage text.
import net from 'node:net';
import { parseArgs } from 'node:util';
import { isValidCidr } from '../probe/address.js';
import { DEFAULT_SETTINGS } from '../probe/defaults.js';
import { LIST_LIMITS, parsePorts } from '../config/lists.js';
import { layerSettings, TIMEOUT_MS_LIMITS, type SettingsLayer } from '../config/settings.js';
import { isValidHost, parseServerEndpoint } from '../probe/hostname.js';
import { proxyFromEnvironment } from '../probe/proxy-settings.js';
import {
  HOSTNAME_POLICIES,
  type HostnamePolicy,
  type Kind,
  type ProbeSettings,
  type TargetSpec,
} from '../probe/types.js';

export class UsageError extends Error {}

export const CHECK_USAGE = `Usage: privatelink-probe check [options]

Probes each target once — DNS (system resolver and explicit servers), TCP, TLS and the service's own
protocol on every port — and prints one row per target and port. Exit code 0 when all are healthy, 1 otherwise, 2 on bad usage or a
file that cannot be read, 130 / 143 when stopped by SIGINT / SIGTERM before the run completed.

Targets (each repeatable):
  --hub HOST                 IoT Hub, e.g. myhub.privatelink.azure-devices.net
  --dps HOST                 DPS, e.g. global.privatelink.azure-devices-provisioning.net
  --acr HOST                 Container Registry login server (or data endpoint)
  --blob HOST                Blob storage account
  --target NAME=HOST[:PORTS] any host; PORTS comma-separated, replacing the kind's defaults
  --config-toml FILE         audit an IoT Edge config.toml and probe the hosts it names

Resolution and trust:
  --dns-server IP[:PORT]     also query this resolver directly (repeatable)
  --no-system-dns            connect with the explicit servers' answers instead of the system resolver's
  --private-range CIDR       what counts as private (repeatable; replaces the defaults:
                             10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7)
  --expect NAME=IP[,IP]      pin the addresses a target must resolve to
  --ca-file FILE             extra trusted CA certificates (PEM); env CA_FILE
  --known-root CN            a root CA common name that is not TLS inspection (repeatable)
  --connect-all              connect to every resolved address, not only the first
  --proxy URL                the HTTP proxy the runtime uses, http://[user:password@]host:port; port 443
                             is then probed through it too (env https_proxy / HTTPS_PROXY, no_proxy)
  --no-proxy                 probe every port directly, whatever the environment says

Behaviour and output:
  --timeout MS               per step (DNS, TCP connect, TLS handshake, service exchange); default ${DEFAULT_SETTINGS.timeoutMs}
  --no-service-check         stop after the TLS handshake: no MQTT CONNECT, AMQP header or HTTPS GET
  --policy privatelink|public|any   the name form targets must use; default privatelink
  --json                     print the result as JSON (the telemetry body)
  --help                     this text
`;

export interface CheckArgs {
  targets: TargetSpec[];
  settings: ProbeSettings;
  json: boolean;
  help: boolean;
  caFile?: string;
  configToml?: string;
}

const TARGET_FLAGS: Array<[flag: 'hub' | 'dps' | 'acr' | 'blob', name: string, kind: Kind | undefined]> = [
  ['hub', 'iothub', 'iothub'],
  ['dps', 'dps', 'dps'],
  // ACR names may be the login server or a data endpoint: let the catalogue tell them apart.
  ['acr', 'acr', undefined],
  ['blob', 'blob', 'blob'],
];

export function parseCheckArgs(argv: string[], env: NodeJS.ProcessEnv = {}): CheckArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        hub: { type: 'string', multiple: true },
        dps: { type: 'string', multiple: true },
        acr: { type: 'string', multiple: true },
        blob: { type: 'string', multiple: true },
        target: { type: 'string', multiple: true },
        'config-toml': { type: 'string' },
        'dns-server': { type: 'string', multiple: true },
        'no-system-dns': { type: 'boolean' },
        'private-range': { type: 'string', multiple: true },
        expect: { type: 'string', multiple: true },
        'ca-file': { type: 'string' },
        'known-root': { type: 'string', multiple: true },
        'connect-all': { type: 'boolean' },
        'no-service-check': { type: 'boolean' },
        proxy: { type: 'string' },
        'no-proxy': { type: 'boolean' },
        timeout: { type: 'string' },
        policy: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }

  const targets: TargetSpec[] = [];
  const add = (t: TargetSpec) => {
    if (targets.some((x) => x.name === t.name)) throw new UsageError(`target name '${t.name}' is used twice`);
    targets.push(t);
  };
  for (const [flag, name, kind] of TARGET_FLAGS) {
    (values[flag] ?? []).forEach((host, i) => {
      if (!isValidHost(host)) throw new UsageError(`--${flag}: '${host}' is not a valid hostname or IP address`);
      add({ name: i === 0 ? name : `${name}${i + 1}`, host, source: 'cli', ...(kind ? { kind } : {}) });
    });
  }
  for (const spec of values.target ?? []) add(parseTargetSpec(spec));

  for (const pin of values.expect ?? []) {
    const m = /^([A-Za-z0-9_-]+)=(.+)$/.exec(pin);
    const target = m && targets.find((t) => t.name === m[1]);
    if (!m || !target) throw new UsageError(`--expect: '${pin}' must be NAME=IP[,IP] naming a target given before`);
    const ips = m[2]!.split(',').map((s) => s.trim());
    if (ips.some((ip) => net.isIP(ip) === 0)) throw new UsageError(`--expect: '${m[2]}' is not a list of IP addresses`);
    target.expectedAddresses = ips;
  }

  // The flags' layer of the settings (config/settings.ts), within the limits desired properties have.
  const flags: SettingsLayer = {};
  const servers = capped('--dns-server', values['dns-server'], LIST_LIMITS.dnsServers);
  for (const server of servers) {
    if (!parseServerEndpoint(server))
      throw new UsageError(`--dns-server: '${server}' must be IP or IP:PORT ([IPv6]:PORT)`);
  }
  if (servers.length > 0) flags.dnsServers = servers;
  if (values['no-system-dns']) {
    if (servers.length === 0) throw new UsageError('--no-system-dns needs at least one --dns-server');
    flags.systemDns = false;
  }
  const ranges = capped('--private-range', values['private-range'], LIST_LIMITS.privateRanges);
  if (ranges.length > 0) {
    const bad = ranges.find((c) => !isValidCidr(c));
    if (bad !== undefined) throw new UsageError(`--private-range: '${bad}' is not a CIDR such as 10.0.0.0/8`);
    flags.privateRanges = ranges;
  }
  const roots = capped('--known-root', values['known-root'], LIST_LIMITS.knownRoots);
  if (roots.length > 0) flags.knownRoots = [...DEFAULT_SETTINGS.knownRoots, ...roots];
  if (values['connect-all']) flags.connectTo = 'all';
  if (values['no-service-check']) flags.serviceCheck = false;
  if (values.proxy !== undefined && values['no-proxy'])
    throw new UsageError('--proxy and --no-proxy exclude each other');
  const proxy = proxyFromEnvironment({ env, proxy: values.proxy, direct: values['no-proxy'] ?? false });
  if (proxy.error) throw new UsageError(`${values.proxy !== undefined ? '--proxy' : 'https_proxy'}: ${proxy.error}`);
  if (proxy.settings) flags.proxy = proxy.settings;
  if (values.timeout !== undefined) {
    const ms = Number(values.timeout);
    const { min, max } = TIMEOUT_MS_LIMITS;
    if (!Number.isInteger(ms) || ms < min || ms > max)
      throw new UsageError(
        `--timeout: '${values.timeout}' must be a whole number of milliseconds from ${min} to ${max}`,
      );
    flags.timeoutMs = ms;
  }
  if (values.policy !== undefined) {
    if (!HOSTNAME_POLICIES.includes(values.policy as HostnamePolicy))
      throw new UsageError(`--policy: '${values.policy}' must be one of ${HOSTNAME_POLICIES.join(', ')}`);
    flags.hostnamePolicy = values.policy as HostnamePolicy;
  }
  const settings = layerSettings(flags);

  const help = values.help ?? false;
  const configToml = values['config-toml'];
  if (!help && targets.length === 0 && configToml === undefined)
    throw new UsageError(
      'nothing to check: give at least one of --hub, --dps, --acr, --blob, --target or --config-toml',
    );
  const caFile = values['ca-file'] ?? env.CA_FILE;
  return {
    targets,
    settings,
    json: values.json ?? false,
    help,
    ...(caFile ? { caFile } : {}),
    ...(configToml !== undefined ? { configToml } : {}),
  };
}

/** `name=host[:ports]`, e.g. `hub=h.privatelink.azure-devices.net:8883,443`. */
export function parseTargetSpec(spec: string): TargetSpec {
  const m = /^([A-Za-z0-9_-]{1,64})=([^:]+)(?::(.+))?$/.exec(spec);
  if (!m) throw new UsageError(`--target: '${spec}' must be NAME=HOST[:PORTS] (NAME of letters, digits, - and _)`);
  const [, name, host, portText] = m as unknown as [string, string, string, string | undefined];
  if (!isValidHost(host)) throw new UsageError(`--target: '${host}' is not a valid hostname or IPv4 address`);
  const target: TargetSpec = { name, host, source: 'cli' };
  if (portText !== undefined) {
    const ports = parsePorts(portText);
    if (typeof ports === 'string')
      throw new UsageError(`--target: ports '${portText}' must be numbers from 1 to 65535, comma-separated`);
    if (ports.length > LIST_LIMITS.ports)
      throw new UsageError(`--target: ${ports.length} ports, more than ${LIST_LIMITS.ports}`);
    target.ports = ports;
  }
  return target;
}

/** A repeatable flag's values, refused past the cap the same list has in desired properties. */
function capped(flag: string, values: string[] | undefined, max: number): string[] {
  if ((values?.length ?? 0) > max) throw new UsageError(`${flag}: given ${values!.length} times, more than ${max}`);
  return values ?? [];
}
