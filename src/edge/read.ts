// The edge audit's only I/O: read config.toml, resolv.conf and hosts (paths and the reader injectable, so
// tests and `check --config-toml FILE` never depend on the machine's own files) and parse them.
// Nothing here throws: a missing or unreadable file is a state the audit reports. Each file is read as
// src/bounded-read.ts reads outside files: a regular file only, within a cap far above its real size.
import { FileRefused, MAX_BYTES, readRegularFile } from '../bounded-read.js';
import { parseConfigToml, type EdgeRuntimeConfig } from './config-toml.js';
import { parseModuleEnv, type Env, type ModuleEnv } from './module-env.js';
import { parseHosts, parseResolvConf, type HostsTable, type ResolvConf } from './resolver-context.js';

export const DEFAULT_CONFIG_TOML_PATH = '/etc/aziot/config.toml';
export const DEFAULT_RESOLV_CONF_PATH = '/etc/resolv.conf';
export const DEFAULT_HOSTS_PATH = '/etc/hosts';

/** Reads at most `maxBytes` of a regular file, or rejects (with an errno-style `code`). */
export type ReadFile = (path: string, maxBytes: number) => Promise<string | Buffer>;

export interface ReadEdgeOptions {
  /** Default: env `CONFIG_TOML_PATH`, else `/etc/aziot/config.toml`; null: do not read one (`not-mounted`). */
  configTomlPath?: string | null;
  resolvConfPath?: string;
  hostsPath?: string;
  env: Env;
  /** Default: `readRegularFile`. */
  readFile?: ReadFile;
}

/** Why a file could not be read: `other` is any errno but a permission error (ELOOP, EIO ...). */
export type ReadFailure = 'permission' | 'directory' | 'not-regular' | 'too-large' | 'other';

export type ConfigTomlRead =
  | { state: 'found'; config: EdgeRuntimeConfig }
  | { state: 'not-mounted' }
  /** `reason` names the cause (permission, a FIFO, the encoding, a TOML error's position); never file content. */
  | { state: 'unreadable'; cause: ReadFailure | 'encoding' | 'toml'; reason: string };

export interface EdgeContext {
  configTomlPath: string;
  configToml: ConfigTomlRead;
  env: ModuleEnv;
  /** Undefined when the file could not be read. */
  resolvConf?: ResolvConf;
  hosts?: HostsTable;
}

type FileRead = { content: string | Buffer } | { missing: true } | { failure: ReadFailure; reason: string };

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

// Error messages are not used: only the errno code, or what bounded-read.ts says the file is, neither of
// which can carry file content.
function failureOf(err: unknown): { failure: ReadFailure; reason: string } {
  if (err instanceof FileRefused) {
    if (err.code === 'EISDIR') return { failure: 'directory', reason: err.message };
    return { failure: err.code === 'EFBIG' ? 'too-large' : 'not-regular', reason: err.message };
  }
  const code = errorCode(err);
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return { failure: 'permission', reason: 'permission denied' };
    case 'EISDIR':
      return { failure: 'directory', reason: 'it is a directory, not a regular file' };
    default:
      return {
        failure: 'other',
        reason: code !== undefined && /^E[A-Z0-9]+$/.test(code) ? `read error ${code}` : 'read error',
      };
  }
}

async function readContent(readFile: ReadFile, path: string, maxBytes: number): Promise<FileRead> {
  try {
    return { content: await readFile(path, maxBytes) };
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return { missing: true };
    return failureOf(err);
  }
}

/** config.toml's content, as bytes or text, to what the audit reads. Total: never throws. */
export function interpretConfigToml(content: string | Buffer): ConfigTomlRead {
  const parsed = parseConfigToml(content);
  return 'error' in parsed
    ? { state: 'unreadable', cause: parsed.cause, reason: parsed.error }
    : { state: 'found', config: parsed };
}

async function readConfigToml(readFile: ReadFile, path: string): Promise<ConfigTomlRead> {
  const file = await readContent(readFile, path, MAX_BYTES.configToml);
  if ('missing' in file) return { state: 'not-mounted' };
  if ('failure' in file) return { state: 'unreadable', cause: file.failure, reason: file.reason };
  return interpretConfigToml(file.content);
}

async function readParsed<T>(
  readFile: ReadFile,
  path: string,
  maxBytes: number,
  parseText: (text: string) => T,
): Promise<T | undefined> {
  const file = await readContent(readFile, path, maxBytes);
  if (!('content' in file)) return undefined;
  return parseText(typeof file.content === 'string' ? file.content : file.content.toString('utf8'));
}

export async function readEdgeContext(options: ReadEdgeOptions): Promise<EdgeContext> {
  const readFile = options.readFile ?? readRegularFile;
  const fromEnv = options.env['CONFIG_TOML_PATH'];
  const configTomlPath =
    options.configTomlPath ??
    (fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv.trim() : DEFAULT_CONFIG_TOML_PATH);
  const [configToml, resolvConf, hosts] = await Promise.all([
    configTomlPath === null ? ({ state: 'not-mounted' } as const) : readConfigToml(readFile, configTomlPath),
    readParsed(readFile, options.resolvConfPath ?? DEFAULT_RESOLV_CONF_PATH, MAX_BYTES.resolvConf, parseResolvConf),
    readParsed(readFile, options.hostsPath ?? DEFAULT_HOSTS_PATH, MAX_BYTES.hosts, parseHosts),
  ]);
  return { configTomlPath: configTomlPath ?? '', configToml, env: parseModuleEnv(options.env), resolvConf, hosts };
}
