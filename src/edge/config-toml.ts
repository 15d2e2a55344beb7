// The IoT Edge runtime's `config.toml` (aziot-edge 1.2+), reduced to what the audit needs.
// The file holds secrets (symmetric keys, device keys, connection strings with SharedAccessKey, registry
// passwords, proxy credentials). Nothing is copied out of it wholesale: each kept field is read by name and
// validated (hostnames, ids, known method names), so a secret cannot arrive in a field by accident, and
// parse errors are reported by line and column only (smol-toml's message quotes the offending line).
// Keys are matched as the runtime matches them: `[agent.env]` case-insensitively, everything else exactly.
import { parse, TomlError } from 'smol-toml';
import { asTable, readProvisioning, type ProvisioningConfig } from './provisioning.js';
import { proxyWithoutCredentials, safeHost, type ProxySetting } from './redact.js';
import { decodeToml } from './toml-text.js';
import { parseUpstreamProtocol, type UNRECOGNISED, type UpstreamProtocol } from './upstream-protocol.js';

export type {
  ProvisioningConfig,
  ProvisioningMethod,
  ProvisioningProblem,
  ProvisioningSource,
} from './provisioning.js';

export interface EdgeRuntimeConfig {
  provisioning: ProvisioningConfig;
  /** Top-level `hostname`: the device's own name (edgeHub's server certificate). */
  hostname?: string;
  /** Top-level `parent_hostname` (or its alias `local_gateway_hostname`): set on a lower layer of nested edge. */
  parentHostname?: string;
  /** Which of the two keys gave `parentHostname`. */
  parentHostnameKey?: ParentKey;
  /** Registry of `[agent.config] image`: a hostname, `docker.io` for short names, `$upstream` in nested edge. */
  agentImageRegistry?: string;
  /** `[agent.config.auth]` holds credentials (a username and password, or a token); their values are never read. */
  registryCredentials: boolean;
  /** `[agent.env] https_proxy` (any case), without credentials. */
  proxy?: ProxySetting;
  /** `[agent.env] UpstreamProtocol` (any case). */
  upstreamProtocol?: UpstreamProtocol | typeof UNRECOGNISED;
  /** Fields that are set but are not valid hostnames (e.g. a `<hubname>` placeholder); values not kept. */
  invalidFields: string[];
}

type Table = Record<string, unknown>;

/** The runtime reads `local_gateway_hostname` (the identity service's name for it) as `parent_hostname`. */
type ParentKey = 'parent_hostname' | 'local_gateway_hostname';
const PARENT_KEYS: readonly ParentKey[] = ['parent_hostname', 'local_gateway_hostname'];

/**
 * The registry part of a Docker image reference, as Docker decides it: the first path component when it
 * has a `.` or `:` or is `localhost`, otherwise Docker Hub. The port is dropped.
 */
export function imageRegistry(image: string): string | undefined {
  // No name at all is no image: the runtime cannot pull it (Docker Hub is not where it would come from).
  if (image.trim() === '') return undefined;
  const slash = image.indexOf('/');
  const first = slash < 0 ? '' : image.slice(0, slash);
  if (!(first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('$'))) {
    return 'docker.io';
  }
  const host = first.startsWith('[') ? first.replace(/^\[([^\]]*)\].*$/, '$1') : first.replace(/:\d+$/, '');
  if (host.toLowerCase() === '$upstream') return '$upstream';
  return safeHost(host);
}

function readHost(root: Table, key: string, invalid: string[]): string | undefined {
  const value = root[key];
  const host = safeHost(value);
  if (value !== undefined && host === undefined) invalid.push(key);
  return host;
}

function readParent(root: Table, invalid: string[]): Pick<EdgeRuntimeConfig, 'parentHostname' | 'parentHostnameKey'> {
  const key = PARENT_KEYS.find((k) => root[k] !== undefined);
  const host = key === undefined ? undefined : readHost(root, key, invalid);
  return host === undefined ? {} : { parentHostname: host, parentHostnameKey: key };
}

/** Credentials Docker can pull with: a username and a password, or a token. `iotedge config import` writes an empty table. */
function hasCredentials(auth: Table | undefined): boolean {
  const filled = (key: string) => {
    const value = auth?.[key];
    return typeof value === 'string' && value.trim() !== '';
  };
  return (filled('username') && filled('password')) || filled('identitytoken') || filled('registrytoken');
}

/** edgeAgent reads its environment case-insensitively (.NET configuration), so `Https_Proxy` counts as `https_proxy`. */
function envValue(env: Table, name: string): unknown {
  if (env[name] !== undefined) return env[name];
  const key = Object.keys(env).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : env[key];
}

function readAgentEnv(env: Table | undefined): Pick<EdgeRuntimeConfig, 'proxy' | 'upstreamProtocol'> {
  if (env === undefined) return {};
  const proxy = envValue(env, 'https_proxy');
  return {
    proxy: typeof proxy === 'string' && proxy.trim() !== '' ? proxyWithoutCredentials(proxy) : undefined,
    upstreamProtocol: parseUpstreamProtocol(envValue(env, 'UpstreamProtocol')),
  };
}

export interface ConfigTomlError {
  /** A position or an encoding, never content. */
  error: string;
  cause: 'encoding' | 'toml';
}

/**
 * Parse config.toml, given as the file's bytes (checked to be UTF-8) or as text. Total: never throws; a TOML
 * error is reported by position only.
 */
export function parseConfigToml(input: string | Uint8Array): EdgeRuntimeConfig | ConfigTomlError {
  const decoded = typeof input === 'string' ? { text: input } : decodeToml(input);
  if ('error' in decoded) return { error: decoded.error, cause: 'encoding' };
  let root: Table;
  try {
    root = parse(decoded.text.replace(/^\uFEFF/, ''));
  } catch (err) {
    return {
      error: err instanceof TomlError ? `invalid TOML at line ${err.line}, column ${err.column}` : 'invalid TOML',
      cause: 'toml',
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
    ...readParent(root, invalid),
    agentImageRegistry,
    registryCredentials: hasCredentials(asTable(agentConfig?.['auth'])),
    ...readAgentEnv(asTable(agent?.['env'])),
    invalidFields: invalid,
  };
}
