// The edge audit's only I/O: read config.toml, resolv.conf and hosts (paths and the reader injectable, so
// tests and `check --config-toml FILE` never depend on the machine's own files) and parse them.
// Nothing here throws: a missing or unreadable file is a state the audit reports.
import fs from 'node:fs';
import { parseConfigToml, type EdgeRuntimeConfig } from './config-toml.js';
import { parseModuleEnv, type Env, type ModuleEnv } from './module-env.js';
import { parseHosts, parseResolvConf, type HostsTable, type ResolvConf } from './resolver-context.js';

export const DEFAULT_CONFIG_TOML_PATH = '/etc/aziot/config.toml';
export const DEFAULT_RESOLV_CONF_PATH = '/etc/resolv.conf';
export const DEFAULT_HOSTS_PATH = '/etc/hosts';

export type ReadFile = (path: string) => Promise<string | Buffer>;

export interface ReadEdgeOptions {
  /** Default: env `CONFIG_TOML_PATH`, else `/etc/aziot/config.toml`; null: do not read one (`not-mounted`). */
  configTomlPath?: string | null;
  resolvConfPath?: string;
  hostsPath?: string;
  env: Env;
  /** Default: `fs.promises.readFile`. */
  readFile?: ReadFile;
}

export type ConfigTomlRead =
  | { state: 'found'; config: EdgeRuntimeConfig }
  | { state: 'not-mounted' }
  /** `reason` names the cause (permission, a directory, a TOML error's position); never file content. */
  | { state: 'unreadable'; cause: 'read' | 'toml'; reason: string };

export interface EdgeContext {
  configTomlPath: string;
  configToml: ConfigTomlRead;
  env: ModuleEnv;
  /** Undefined when the file could not be read. */
  resolvConf?: ResolvConf;
  hosts?: HostsTable;
}

type FileRead = { text: string } | { missing: true } | { reason: string };

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

// Error messages are not used: only the errno code, which cannot carry file content.
function reasonOf(code: string | undefined): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      // Docker creates a directory at the mount point when the host file did not exist at container creation.
      return 'it is a directory (the host file was missing when the container was created)';
    default:
      return code !== undefined && /^E[A-Z0-9]+$/.test(code) ? `read error ${code}` : 'read error';
  }
}

async function readText(readFile: ReadFile, path: string): Promise<FileRead> {
  try {
    const content = await readFile(path);
    return { text: typeof content === 'string' ? content : content.toString('utf8') };
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return { missing: true };
    return { reason: reasonOf(code) };
  }
}

async function readConfigToml(readFile: ReadFile, path: string): Promise<ConfigTomlRead> {
  const file = await readText(readFile, path);
  if ('missing' in file) return { state: 'not-mounted' };
  if ('reason' in file) return { state: 'unreadable', cause: 'read', reason: file.reason };
  const parsed = parseConfigToml(file.text);
  return 'error' in parsed
    ? { state: 'unreadable', cause: 'toml', reason: parsed.error }
    : { state: 'found', config: parsed };
}

async function readParsed<T>(readFile: ReadFile, path: string, parseText: (text: string) => T): Promise<T | undefined> {
  const file = await readText(readFile, path);
  return 'text' in file ? parseText(file.text) : undefined;
}

export async function readEdgeContext(options: ReadEdgeOptions): Promise<EdgeContext> {
  const readFile = options.readFile ?? ((path: string) => fs.promises.readFile(path));
  const fromEnv = options.env['CONFIG_TOML_PATH'];
  const configTomlPath =
    options.configTomlPath ?? (fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv.trim() : DEFAULT_CONFIG_TOML_PATH);
  const [configToml, resolvConf, hosts] = await Promise.all([
    configTomlPath === null ? ({ state: 'not-mounted' } as const) : readConfigToml(readFile, configTomlPath),
    readParsed(readFile, options.resolvConfPath ?? DEFAULT_RESOLV_CONF_PATH, parseResolvConf),
    readParsed(readFile, options.hostsPath ?? DEFAULT_HOSTS_PATH, parseHosts),
  ]);
  return { configTomlPath: configTomlPath ?? '', configToml, env: parseModuleEnv(options.env), resolvConf, hosts };
}
