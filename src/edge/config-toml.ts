// The IoT Edge runtime's `config.toml` (aziot-edge 1.2+), reduced to what the audit needs.
// The file holds secrets (symmetric keys, device keys, connection strings with SharedAccessKey, registry
// passwords, proxy credentials). Nothing is copied out of it wholesale: each kept field is read by name and
// validated (hostnames, ids, known method names), so a secret cannot arrive in a field by accident, and
// parse errors are reported by line and column only (smol-toml's message quotes the offending line).
import { parse, TomlError } from 'smol-toml';
import { connectionStringIdentity, proxyWithoutCredentials, safeDeviceId, safeHost, type ProxySetting } from './redact.js';
import { parseUpstreamProtocol, type UNRECOGNISED, type UpstreamProtocol } from './upstream-protocol.js';

/** `[provisioning] source`; `missing` when there is no `[provisioning]` table. */
export type ProvisioningSource = 'manual' | 'dps' | 'none' | 'other' | 'missing';

/** `[provisioning.attestation]` (DPS) or `[provisioning.authentication]` (manual) `method`. */
export type ProvisioningMethod = 'sas' | 'symmetric_key' | 'x509' | 'tpm' | 'other';

export interface ProvisioningConfig {
  source: ProvisioningSource;
  /** Manual provisioning: where the hub name came from. */
  via?: 'iothub_hostname' | 'connection_string';
  /** Manual: `iothub_hostname`, or the connection string's HostName. */
  iothubHostname?: string;
  deviceId?: string;
  /** DPS: the hostname of `global_endpoint`. */
  dpsEndpoint?: string;
  idScope?: string;
  method?: ProvisioningMethod;
}

export interface EdgeRuntimeConfig {
  provisioning: ProvisioningConfig;
  /** Top-level `hostname`: the device's own name (edgeHub's server certificate). */
  hostname?: string;
  /** Top-level `parent_hostname`: set on a lower layer of nested edge. */
  parentHostname?: string;
  /** Registry of `[agent.config] image`: a hostname, `docker.io` for short names, `$upstream` in nested edge. */
  agentImageRegistry?: string;
  /** `[agent.config.auth]` is present; its values are never read. */
  registryCredentials: boolean;
  /** `[agent.env] https_proxy` / `HTTPS_PROXY`, without credentials. */
  proxy?: ProxySetting;
  /** `[agent.env] UpstreamProtocol`. */
  upstreamProtocol?: UpstreamProtocol | typeof UNRECOGNISED;
  /** Fields that are set but are not valid hostnames (e.g. a `<hubname>` placeholder); values not kept. */
  invalidFields: string[];
}

type Table = Record<string, unknown>;

function asTable(value: unknown): Table | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
    ? (value as Table)
    : undefined;
}

const METHODS: readonly ProvisioningMethod[] = ['sas', 'symmetric_key', 'x509', 'tpm'];

function method(table: Table | undefined): ProvisioningMethod | undefined {
  const value = table?.['method'];
  if (typeof value !== 'string') return undefined;
  return METHODS.find((m) => m === value) ?? 'other';
}

// DPS ID scopes look like `0ne00012345`; anything else is not kept.
const ID_SCOPE = /^[A-Za-z0-9]{1,32}$/;

/** `https://global.azure-devices-provisioning.net/` → its hostname; a bare hostname is accepted too. */
function endpointHost(value: string): string | undefined {
  if (!value.includes('://')) return safeHost(value);
  try {
    return safeHost(new URL(value).hostname.replace(/^\[|\]$/g, ''));
  } catch {
    return undefined;
  }
}

/**
 * The registry part of a Docker image reference, as Docker decides it: the first path component when it
 * has a `.` or `:` or is `localhost`, otherwise Docker Hub. The port is dropped.
 */
export function imageRegistry(image: string): string | undefined {
  const slash = image.indexOf('/');
  const first = slash < 0 ? '' : image.slice(0, slash);
  if (!(first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('$'))) {
    return 'docker.io';
  }
  const host = first.startsWith('[') ? first.replace(/^\[([^\]]*)\].*$/, '$1') : first.replace(/:\d+$/, '');
  if (host.toLowerCase() === '$upstream') return '$upstream';
  return safeHost(host);
}

function readProvisioning(root: Table, invalid: string[]): ProvisioningConfig {
  const p = asTable(root['provisioning']);
  if (p === undefined) return { source: 'missing' };
  const source = p['source'];
  if (source === 'manual') {
    const auth = asTable(p['authentication']);
    const result: ProvisioningConfig = { source: 'manual' };
    if (typeof p['connection_string'] === 'string') {
      const id = connectionStringIdentity(p['connection_string']);
      result.via = 'connection_string';
      result.iothubHostname = id.hostName;
      result.deviceId = id.deviceId;
      result.method = 'sas';
      if (id.hostName === undefined) invalid.push('provisioning.connection_string HostName');
    } else {
      result.via = 'iothub_hostname';
      result.iothubHostname = safeHost(p['iothub_hostname']);
      result.deviceId = safeDeviceId(p['device_id']);
      result.method = method(auth);
      if (p['iothub_hostname'] !== undefined && result.iothubHostname === undefined) {
        invalid.push('provisioning.iothub_hostname');
      }
    }
    return result;
  }
  if (source === 'dps') {
    const endpoint = p['global_endpoint'];
    const dpsEndpoint = typeof endpoint === 'string' ? endpointHost(endpoint) : undefined;
    if (endpoint !== undefined && dpsEndpoint === undefined) invalid.push('provisioning.global_endpoint');
    const scope = p['id_scope'];
    return {
      source: 'dps',
      dpsEndpoint,
      idScope: typeof scope === 'string' && ID_SCOPE.test(scope) ? scope : undefined,
      method: method(asTable(p['attestation'])),
    };
  }
  return { source: source === 'none' ? 'none' : 'other' };
}

function readHost(root: Table, key: string, invalid: string[]): string | undefined {
  const value = root[key];
  const host = safeHost(value);
  if (value !== undefined && host === undefined) invalid.push(key);
  return host;
}

function readAgentEnv(env: Table | undefined): Pick<EdgeRuntimeConfig, 'proxy' | 'upstreamProtocol'> {
  if (env === undefined) return {};
  const proxy = env['https_proxy'] ?? env['HTTPS_PROXY'];
  return {
    proxy: typeof proxy === 'string' && proxy.trim() !== '' ? proxyWithoutCredentials(proxy) : undefined,
    upstreamProtocol: parseUpstreamProtocol(env['UpstreamProtocol']),
  };
}

/** Parse config.toml text. Total: never throws; a TOML error is reported by position only. */
export function parseConfigToml(text: string): EdgeRuntimeConfig | { error: string } {
  let root: Table;
  try {
    root = parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    return {
      error: err instanceof TomlError ? `invalid TOML at line ${err.line}, column ${err.column}` : 'invalid TOML',
    };
  }
  const invalid: string[] = [];
  const agent = asTable(root['agent']);
  const agentConfig = asTable(agent?.['config']);
  const image = agentConfig?.['image'];
  const agentImageRegistry = typeof image === 'string' ? imageRegistry(image.trim()) : undefined;
  if (typeof image === 'string' && agentImageRegistry === undefined) invalid.push('agent.config.image');
  return {
    provisioning: readProvisioning(root, invalid),
    hostname: readHost(root, 'hostname', invalid),
    parentHostname: readHost(root, 'parent_hostname', invalid),
    agentImageRegistry,
    registryCredentials: asTable(agentConfig?.['auth']) !== undefined,
    ...readAgentEnv(asTable(agent?.['env'])),
    invalidFields: invalid,
  };
}
