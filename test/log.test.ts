// The log format edgeAgent reads: each line's severity must survive GetModuleLogs' parser, so its
// `loglevel` filter works, and no secret may reach a line.
import { describe, expect, it } from 'vitest';
import { createLogger, parseLevel, type LoggerOptions } from '../src/log.js';

/**
 * edgeAgent's reading of a module log line (LogMessageParser): an optional `<N>`, an optional
 * `yyyy-MM-dd HH:mm:ss.fff ±hh:mm` timestamp, the rest is text; a line without `<N>` counts as 6.
 */
function edgeAgentParse(line: string): { severity: number; timestamp?: string; text: string } {
  const m = /^(?:<(\d)>)?\s*(?:(\d{4}-\d\d-\d\d\s\d\d:\d\d:\d\d\.\d{3}\s[+-]\d\d:\d\d)\s)?\s*(.*)$/.exec(line)!;
  return { severity: m[1] === undefined ? 6 : Number(m[1]), timestamp: m[2], text: m[3]! };
}

/** The strict form this module promises: severity, UTC time, three-letter level, ` - `, text. */
const EDGE_LINE = /^<(\d)> (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ([+-]\d\d:\d\d) \[(\w{3})\] - (.*)$/;

function collect(options: Omit<LoggerOptions, 'destination'> = {}) {
  const chunks: string[] = [];
  const log = createLogger({ env: {}, ...options, destination: { write: (s: string) => chunks.push(s) } });
  const lines = () => chunks.join('').split('\n').slice(0, -1);
  return { log, chunks, lines };
}

const CANARY = 'Q2FuYXJ5U2VjcmV0S2V5MTIzNDU2Nzg5MA==';

describe('IoT Edge log format', () => {
  it('maps every pino level to the syslog severity and Serilog level edgeAgent expects', () => {
    const { log, lines } = collect({ level: 'trace' });
    log.trace('t');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    log.fatal('f');
    const parsed = lines().map((line) => ({ strict: EDGE_LINE.exec(line), agent: edgeAgentParse(line) }));
    expect(parsed.map((p) => p.agent.severity)).toEqual([7, 7, 6, 4, 3, 0]);
    expect(parsed.map((p) => p.strict?.[4])).toEqual(['VRB', 'DBG', 'INF', 'WRN', 'ERR', 'FTL']);
    expect(parsed.map((p) => p.agent.text)).toEqual([
      '[VRB] - t',
      '[DBG] - d',
      '[INF] - i',
      '[WRN] - w',
      '[ERR] - e',
      '[FTL] - f',
    ]);
  });

  it('writes the current time in UTC with a +00:00 offset, to the millisecond', () => {
    const { log, lines } = collect();
    const before = Date.now();
    log.info('now');
    const after = Date.now();
    const [, , time, offset] = EDGE_LINE.exec(lines()[0]!)!;
    expect(offset).toBe('+00:00');
    const at = Date.parse(`${time!.replace(' ', 'T')}Z`);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
  });

  it('keeps each record on one line: multi-line messages, control characters and stack traces are folded', () => {
    const { log, chunks, lines } = collect();
    log.info('first line\nsecond line\r\nthird\u2028fourth\u0007');
    log.error({ err: new Error('connect failed\nbecause') }, 'probe crashed');
    log.warn({ detail: 'a\nb', nested: { text: 'x\ny' } }, 'with fields');
    expect(chunks).toHaveLength(3);
    expect(lines()).toHaveLength(3);
    for (const line of lines()) expect(line).toMatch(EDGE_LINE);
    expect(lines()[0]).toContain('first line\\nsecond line\\r\\nthird\\u2028fourth\\u0007');
    // The error keeps its type, message and stack, each frame on the same line.
    const err = /err=(\{.*\})$/.exec(lines()[1]!)![1]!;
    const parsed = JSON.parse(err) as { type: string; message: string; stack: string };
    expect(parsed).toMatchObject({ type: 'Error', message: 'connect failed\nbecause' });
    expect(parsed.stack).toContain('\n    at ');
    expect(edgeAgentParse(lines()[1]!).severity).toBe(3);
  });

  it('appends structured fields as key=value: bare words as they are, everything else as JSON', () => {
    const { log, lines } = collect();
    log.info(
      {
        runId: 'c0ffee',
        overall: 'healthy',
        ms: 57,
        ok: true,
        reason: 'port 443 "refused"',
        targets: ['hub', 'acr'],
        none: null,
      },
      'run finished',
    );
    const text = EDGE_LINE.exec(lines()[0]!)![5]!;
    expect(text).toBe(
      'run finished runId=c0ffee overall=healthy ms=57 ok=true reason="port 443 \\"refused\\"" targets=["hub","acr"] none=null',
    );
    const fields = Object.fromEntries(
      [...text.matchAll(/ (\w+)=("(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S+)/g)].map((m) => [m[1], m[2]]),
    );
    expect(JSON.parse(fields.reason!)).toBe('port 443 "refused"');
    expect(JSON.parse(fields.targets!)).toEqual(['hub', 'acr']);
  });

  it('writes a record without a message as its fields, still in the grammar', () => {
    const { log, lines } = collect();
    log.info({ queued: 3 });
    expect(EDGE_LINE.exec(lines()[0]!)![5]).toBe('queued=3');
  });

  it('writes pino JSON with LOG_FORMAT=json', () => {
    const { log, lines } = collect({ env: { LOG_FORMAT: 'json' } });
    log.warn({ target: 'hub' }, 'slow');
    const record = JSON.parse(lines()[0]!) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 40, target: 'hub', msg: 'slow' });
    expect(typeof record.time).toBe('number');
  });
});

describe('log level', () => {
  it('reads RuntimeLogLevel the way edgeAgent does, case-insensitively and before any Rust filter', () => {
    expect(parseLevel('Warning')).toBe('warn');
    expect(parseLevel('information')).toBe('info');
    expect(parseLevel('verbose')).toBe('trace');
    expect(parseLevel('debug,mqtt_broker::broker=trace')).toBe('debug');
    expect(parseLevel('FATAL')).toBe('fatal');
    expect(parseLevel('loud')).toBeUndefined();
  });

  it('honours RuntimeLogLevel, lets LOG_LEVEL win over it, and the option over both', () => {
    expect(collect({ env: { RuntimeLogLevel: 'warning' } }).log.level).toBe('warn');
    expect(collect({ env: { RuntimeLogLevel: 'warning', LOG_LEVEL: 'debug' } }).log.level).toBe('debug');
    expect(collect({ env: { LOG_LEVEL: 'debug' }, level: 'error' }).log.level).toBe('error');
    expect(collect().log.level).toBe('info');
  });

  it('filters below the level', () => {
    const { log, lines } = collect({ env: { RuntimeLogLevel: 'warning' } });
    log.info('hidden');
    log.warn('shown');
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toContain('[WRN] - shown');
  });

  it('falls back to info on an unrecognised level and says so', () => {
    const { log, lines } = collect({ env: { LOG_LEVEL: 'loud' } });
    expect(log.level).toBe('info');
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatch(/^<4> .* \[WRN\] - log level not recognised, logging at info setting=loud$/);
  });
});

describe('secrets never reach a log line', () => {
  const connectionString = `HostName=myhub.azure-devices.net;DeviceId=dev;ModuleId=probe;SharedAccessKey=${CANARY}`;
  const sasToken = `SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev&sig=${encodeURIComponent(CANARY)}&se=1795000000`;

  function logEverything(log: ReturnType<typeof createLogger>) {
    log.info({ SharedAccessKey: CANARY, connectionString, password: CANARY }, 'top-level keys');
    log.info(
      {
        config: {
          sharedAccessKey: CANARY,
          provisioning: { symmetric_key: CANARY, attestation: { symmetric_key: { value: CANARY } } },
        },
      },
      'nested keys',
    );
    log.info({ keys: [{ sig: CANARY }] }, 'in arrays');
    log.error(
      { err: new Error(`open failed for ${connectionString}`) },
      `connection string in text: ${connectionString}`,
    );
    log.warn(`token in text: ${sasToken}`);
    log.warn(`url-encoded token: ${encodeURIComponent(sasToken)}`);
  }

  it.each(['edge', 'json'] as const)('in the %s format, by key and inside text', (format) => {
    const { log, chunks } = collect({ format });
    logEverything(log);
    const output = chunks.join('');
    expect(chunks).toHaveLength(6);
    expect(output).not.toContain(CANARY);
    expect(output).not.toContain(encodeURIComponent(CANARY));
    expect(output).toContain('[Redacted]');
    // What is not secret stays readable.
    expect(output).toContain('HostName=myhub.azure-devices.net;DeviceId=dev');
    if (format === 'json') for (const line of chunks) expect(() => JSON.parse(line)).not.toThrow();
  });
});
