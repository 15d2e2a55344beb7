// Logging. On IoT Edge, operators read logs with `iotedge logs` and edgeAgent's
// GetModuleLogs / UploadModuleLogs, whose `loglevel` filter reads the syslog severity at the start of each
// line. edgeAgent's LogMessageParser takes `<N> yyyy-MM-dd HH:mm:ss.fff zzz` off the front of a line and
// counts a line without `<N>` as 6 (info), so every line we write carries its severity and no message may
// spill onto a second line. The default format is the one edgeAgent and edgeHub write themselves (Serilog
// template `<{Severity}> {Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] - {Message}`):
//
//   <6> 2026-11-28 09:00:00.000 +00:00 [INF] - run finished runId=c0ffee overall=healthy ms=57
//
// Structured fields follow the message as ` key=value`: bare when the value is a plain word, JSON
// otherwise (quoted strings, objects, arrays), so the tail stays readable and each value parses as JSON.
// Times are UTC. `LOG_FORMAT=json` writes pino's own JSON lines instead.
//
// Formatting happens synchronously in the destination (pino serializes, we re-shape the line): no worker
// thread, and a line written just before `process.exit` is not lost.
//
// A line carries at most MAX_LOG_LINE_BYTES: long strings in logged objects are cut to their head with a
// marker, and a line still too long is cut (edge) or loses its fields (json), after secrets are scrubbed.
import pino from 'pino';
import { utf8Bytes } from './config/json.js';
import { fitString } from './config/twin-safe.js';

export type LogFormat = 'edge' | 'json';

/** Where finished lines go: anything with a `write(line)` (pino.destination, a test collector). */
export interface LogSink {
  write(line: string): unknown;
}

export interface LoggerOptions {
  /** Default: `LOG_FORMAT` from env (`json`), else `edge`. */
  format?: LogFormat;
  /** Default: `LOG_LEVEL`, else the runtime's `RuntimeLogLevel`, else `info`. */
  level?: string;
  env?: NodeJS.ProcessEnv;
  /** Default: stdout, written synchronously. */
  destination?: LogSink;
}

/**
 * Docker hands a container's output to its log driver in pieces of at most 16 KB and splits a longer line
 * (moby/moby#32923): the tail would reach edgeAgent as a line of its own, without its severity.
 */
export const MAX_LOG_LINE_BYTES = 16 * 1024;

/** The longest string a logged field keeps: a stack trace fits, a 100 KB desired value does not. */
export const MAX_LOGGED_STRING_CHARS = 2048;

/** Deeper than this, a logged object is not walked (pino has already made it finite JSON). */
const MAX_LOGGED_DEPTH = 16;

/** Keys whose values are secrets wherever they appear in a logged object (three levels deep and in arrays). */
const SECRET_KEYS = ['SharedAccessKey', 'sharedAccessKey', 'connectionString', 'symmetric_key', 'password', 'sig'];
const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*[*].${k}`]);

// pino level → syslog severity and the three-letter level Serilog writes (edgeAgent's own logger).
const LEVELS: ReadonlyArray<{ min: number; severity: number; label: string }> = [
  { min: 60, severity: 0, label: 'FTL' },
  { min: 50, severity: 3, label: 'ERR' },
  { min: 40, severity: 4, label: 'WRN' },
  { min: 30, severity: 6, label: 'INF' },
  { min: 20, severity: 7, label: 'DBG' },
  { min: -Infinity, severity: 7, label: 'VRB' },
];

// The names RuntimeLogLevel takes (edgeAgent accepts verbose, debug, info, information, warning, error,
// fatal, case-insensitively) and pino's own.
const LEVEL_NAMES: Readonly<Record<string, pino.LevelWithSilent>> = {
  trace: 'trace',
  verbose: 'trace',
  debug: 'debug',
  info: 'info',
  information: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  fatal: 'fatal',
  silent: 'silent',
};

/**
 * A level setting as pino names it. RuntimeLogLevel may carry Rust filters (`info,mqtt_broker=debug`):
 * like edgeAgent, only the part before the first comma counts. Unrecognised → undefined.
 */
export function parseLevel(value: string): pino.LevelWithSilent | undefined {
  const name = value.split(',')[0]!.trim().toLowerCase();
  return Object.hasOwn(LEVEL_NAMES, name) ? LEVEL_NAMES[name] : undefined;
}

export function createLogger(options: LoggerOptions = {}): pino.Logger {
  const env = options.env ?? process.env;
  const format = options.format ?? (env.LOG_FORMAT?.trim().toLowerCase() === 'json' ? 'json' : 'edge');
  const setting = options.level ?? nonEmpty(env.LOG_LEVEL) ?? nonEmpty(env.RuntimeLogLevel);
  const level = setting === undefined ? 'info' : parseLevel(setting);
  const sink = options.destination ?? pino.destination({ fd: 1, sync: true });
  const shape = format === 'json' ? jsonLine : edgeLine;
  const stream: LogSink = { write: (line: string) => sink.write(shape(line)) };
  const logger = pino({ level: level ?? 'info', redact: { paths: REDACT_PATHS } }, stream);
  if (setting !== undefined && level === undefined)
    logger.warn({ setting }, 'log level not recognised, logging at info');
  return logger;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

// Fields pino adds that the edge line shows in its own way (time, level, message) or that say nothing
// inside a container (pid 1, hostname = container id).
const SHOWN_ELSEWHERE = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** One pino JSON line → one IoT Edge line, newline-terminated. */
export function edgeLine(json: string): string {
  const record = shortenStrings(JSON.parse(json)) as Record<string, unknown>;
  const levelNumber = typeof record.level === 'number' ? record.level : 30;
  const { severity, label } = LEVELS.find((l) => levelNumber >= l.min)!;
  const time = typeof record.time === 'number' ? record.time : Date.now();
  let text = typeof record.msg === 'string' ? foldLine(record.msg) : '';
  for (const [key, value] of Object.entries(record)) {
    if (SHOWN_ELSEWHERE.has(key) || value === undefined) continue;
    text += `${text === '' ? '' : ' '}${foldLine(key)}=${fieldValue(value)}`;
  }
  return `${cutLine(`<${severity}> ${utcTimestamp(time)} +00:00 [${label}] - ${scrubSecrets(text)}`)}\n`;
}

/**
 * One pino JSON line, secrets scrubbed and within MAX_LOG_LINE_BYTES, newline-terminated. A line too long
 * even with its strings shortened keeps its level, time and message, and says how long it was.
 */
function jsonLine(json: string): string {
  const line = json.endsWith('\n') ? json.slice(0, -1) : json;
  if (line.length <= MAX_LOGGED_STRING_CHARS) return `${scrubSecrets(line)}\n`;
  const record = shortenStrings(JSON.parse(line)) as Record<string, unknown>;
  const shaped = scrubSecrets(JSON.stringify(record));
  const bytes = utf8Bytes(shaped);
  if (bytes < MAX_LOG_LINE_BYTES) return `${shaped}\n`;
  const { level, time, pid, hostname, msg } = record;
  return `${scrubSecrets(JSON.stringify({ level, time, pid, hostname, msg, cut: `${bytes}-byte line: fields left out` }))}\n`;
}

/** `value` with every string over MAX_LOGGED_STRING_CHARS cut to its head and a marker saying how much was left out. */
function shortenStrings(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    return value.length <= MAX_LOGGED_STRING_CHARS
      ? value
      : `${value.slice(0, MAX_LOGGED_STRING_CHARS)}…[${value.length - MAX_LOGGED_STRING_CHARS} more characters]`;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_LOGGED_DEPTH) return `[nested deeper than ${MAX_LOGGED_DEPTH} levels]`;
  if (Array.isArray(value)) return value.map((item) => shortenStrings(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, shortenStrings(item, depth + 1)]));
}

/** A line (without its newline) that fits MAX_LOG_LINE_BYTES with its newline; a longer one ends in a marker with its length. */
function cutLine(line: string): string {
  const bytes = utf8Bytes(line);
  if (bytes < MAX_LOG_LINE_BYTES) return line;
  const marker = ` [line cut: ${bytes} bytes]`;
  return fitString(line, MAX_LOG_LINE_BYTES - 1 - utf8Bytes(marker)) + marker;
}

/** `yyyy-MM-dd HH:mm:ss.fff` in UTC. */
function utcTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('T', ' ').slice(0, 23);
}

// A bare value: a word without spaces, quotes, `=` or backslashes; anything else is written as JSON.
const BARE = /^[^\s"=\\\p{Cc}\u2028\u2029]+$/u;

function fieldValue(value: unknown): string {
  if (typeof value === 'string') return BARE.test(value) ? value : foldLine(JSON.stringify(value));
  if (value !== null && typeof value === 'object') return foldLine(JSON.stringify(value));
  return String(value);
}

/** Line breaks and other control characters as escapes, so one record stays one line. */
function foldLine(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029]/gu, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

// Secrets inside text that redaction by key cannot see: a connection string or SAS token in an error
// message (`SharedAccessKey=...`, `sig=...`), or a secret key nested deeper than the redaction paths.
const SECRET_ASSIGNMENT = /\b(SharedAccessKey|SharedAccessSignature|symmetric_key|password|sig)(=|%3D)[^\s;&"'\\,]+/gi;
const SECRET_JSON_KEY = new RegExp(
  `("(?:${SECRET_KEYS.join('|')})"\\s*:\\s*)(?:"(?:[^"\\\\]|\\\\.)*"|\\{[^{}]*\\}|[\\w.+-]+)`,
  'gi',
);

export function scrubSecrets(text: string): string {
  return text.replace(SECRET_ASSIGNMENT, '$1$2[Redacted]').replace(SECRET_JSON_KEY, '$1"[Redacted]"');
}
