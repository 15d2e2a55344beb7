// What one log line may carry. Docker hands a container's output to its log driver in pieces of at most
// 16 KB and splits a longer line (moby/moby#32923): the tail would reach edgeAgent as a line of its own,
// without the `<N>` severity its level filter reads. One 100 KB desired value once made a 307 KB line.
import { describe, expect, it } from 'vitest';
import { createLogger, MAX_LOG_LINE_BYTES, type LogFormat } from '../src/log.js';

const EDGE_LINE = /^<(\d)> \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \+00:00 \[(\w{3})\] - (.*)$/;
const CANARY = 'Q2FuYXJ5U2VjcmV0S2V5MTIzNDU2Nzg5MA==';

function collect(format: LogFormat) {
  const chunks: string[] = [];
  const log = createLogger({ env: {}, format, destination: { write: (s: string) => chunks.push(s) } });
  return { log, chunks };
}

/** The one line a record became, checked to be one line within the limit. */
function onlyLine(chunks: string[]): string {
  expect(chunks).toHaveLength(1);
  const [chunk] = chunks;
  expect(chunk!.endsWith('\n')).toBe(true);
  expect(chunk!.slice(0, -1)).not.toContain('\n');
  expect(Buffer.byteLength(chunk!)).toBeLessThanOrEqual(MAX_LOG_LINE_BYTES);
  return chunk!.slice(0, -1);
}

const errors = Array.from({ length: 300 }, (_, i) => ({
  key: `setting${i}`,
  path: `setting${i}`,
  message: `unknown key 'setting${i}' ${'é'.repeat(150)}`,
}));

describe.each<LogFormat>(['edge', 'json'])('log lines in the %s format', (format) => {
  const parse = (line: string) => (format === 'json' ? (JSON.parse(line) as Record<string, unknown>) : undefined);

  it('cut a 100 KB string field to its head with a marker saying how much was left out', () => {
    const { log, chunks } = collect(format);
    log.warn({ version: 7, value: `start${'x'.repeat(100_000)}` }, 'desired properties rejected');
    const line = onlyLine(chunks);
    expect(line).toContain('desired properties rejected');
    expect(line).toMatch(/startx+…\[\d+ more characters\]/);
    if (format === 'edge') expect(EDGE_LINE.exec(line)![2]).toBe('WRN');
    else expect(parse(line)).toMatchObject({ level: 40, version: 7, msg: 'desired properties rejected' });
  });

  it('keep a record of hundreds of fields within the limit, severity and message first', () => {
    const { log, chunks } = collect(format);
    log.error({ version: 9, errors }, 'desired properties rejected');
    const line = onlyLine(chunks);
    if (format === 'edge') {
      expect(EDGE_LINE.exec(line)).toMatchObject({ 1: '3', 2: 'ERR' });
      expect(line).toMatch(/ - desired properties rejected version=9 errors=\[/);
      expect(line).toMatch(/… \[line cut: \d+ bytes\]$/);
    } else {
      expect(parse(line)).toMatchObject({
        level: 50,
        msg: 'desired properties rejected',
        cut: expect.stringMatching(/^\d+-byte line: fields left out$/),
      });
    }
  });

  it('cut a 100 KB message', () => {
    const { log, chunks } = collect(format);
    log.info(`m${'y'.repeat(100_000)}`);
    expect(onlyLine(chunks)).toMatch(/myyy/);
  });

  it('cut after secrets are scrubbed, so no part of a secret survives the cut', () => {
    const { log, chunks } = collect(format);
    const texts = Array.from(
      { length: 200 },
      (_, i) => `${'z'.repeat(i)} HostName=h;SharedAccessKey=${CANARY} ${'w'.repeat(100)}`,
    );
    log.warn({ texts, connection: `HostName=h;SharedAccessKey=${CANARY}` }, 'connection failed');
    const line = onlyLine(chunks);
    if (format === 'edge') expect(line).toContain('SharedAccessKey=[Redacted]');
    expect(line).not.toContain(CANARY.slice(0, 6));
  });
});
