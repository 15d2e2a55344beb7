// Properties of the config.toml reader over any input: arbitrary bytes, real files with bytes corrupted,
// and arbitrary TOML documents built from the keys the runtime uses. Whatever comes in, the reader answers
// without throwing, in bounded time, with either a clear error (an encoding or a TOML position) or a config
// whose every provisioning problem is a finding; nothing of a secret comes out.
import fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { stringify } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { auditEdge } from '../../src/edge/audit.js';
import { parseModuleEnv } from '../../src/edge/module-env.js';
import { interpretConfigToml, type ConfigTomlRead } from '../../src/edge/read.js';
import { firstInvalidUtf8 } from '../../src/edge/toml-text.js';
import { MAX_BYTES } from '../../src/bounded-read.js';
import { CANARY, fixture, PUBLIC_HUB, toJson } from './support.js';

const CLEAR_ERROR =
  /^(invalid TOML at line \d+, column \d+|invalid TOML|UTF-16 \(as Windows Notepad saves "Unicode"\), not UTF-8|not UTF-8 from line \d+ on: .+)$/;

/** What must hold for every read: a clear error, or a config whose provisioning problem (if any) is a finding. */
function expectAnswered(read: ConfigTomlRead): void {
  expect(toJson(read)).not.toContain(CANARY);
  if (read.state === 'unreadable') {
    expect(['toml', 'encoding']).toContain(read.cause);
    expect(read.reason).toMatch(CLEAR_ERROR);
  }
  for (const hostnamePolicy of ['privatelink', 'public', 'any'] as const) {
    const ctx = {
      configTomlPath: '/etc/aziot/config.toml',
      configToml: read,
      env: parseModuleEnv({ IOTEDGE_IOTHUBHOSTNAME: PUBLIC_HUB }),
    };
    const audit = auditEdge(ctx, { hostnamePolicy, targets: [] });
    for (const f of audit.findings) expect(Buffer.byteLength(f.text)).toBeLessThanOrEqual(512);
    const ids = audit.findings.map((f) => f.id);
    if (read.state === 'unreadable') expect(ids).toContain('CONFIG_TOML_INVALID');
    if (read.state === 'found') {
      const { source, problem } = read.config.provisioning;
      // Never silent: a section the runtime would refuse is named, and only then.
      expect(ids.includes('PROVISIONING_INVALID')).toBe(problem !== undefined);
      if (source === 'missing' || source === 'other') expect(problem).toBeDefined();
    }
    expect(toJson(audit)).not.toContain(CANARY);
  }
}

/** Each read is timed: a config.toml of any content is read in well under a second. */
function readTimed(content: string | Buffer): ConfigTomlRead {
  const t0 = performance.now();
  const read = interpretConfigToml(content);
  expect(performance.now() - t0).toBeLessThan(2_000);
  return read;
}

const REAL_FILES = [
  'manual-privatelink.toml',
  'dps-privatelink.toml',
  'connection-string.toml',
  'proxy.toml',
  'template-as-is.toml',
].map((name) => fs.readFileSync(fixture(name)));

describe('the config.toml reader over arbitrary input', () => {
  it('arbitrary bytes: never throws, answers with a clear error or a config', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => expectAnswered(readTimed(Buffer.from(bytes)))),
      { numRuns: 500 },
    );
  });

  it('real files with bytes overwritten, inserted or cut: the same', () => {
    const edit = fc.record({
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
      how: fc.constantFrom('set', 'insert', 'cut'),
    });
    fc.assert(
      fc.property(fc.constantFrom(...REAL_FILES), fc.array(edit, { minLength: 1, maxLength: 6 }), (file, edits) => {
        const bytes = [...file];
        for (const { at, byte, how } of edits) {
          const i = at % (bytes.length + 1);
          if (how === 'set') bytes[i] = byte;
          else if (how === 'insert') bytes.splice(i, 0, byte);
          else bytes.length = i;
        }
        expectAnswered(readTimed(Buffer.from(bytes)));
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary TOML documents over the keys the runtime reads: always read, every problem a finding', () => {
    const key = fc.oneof(
      fc.constantFrom(
        'provisioning',
        'source',
        'global_endpoint',
        'id_scope',
        'attestation',
        'authentication',
        'method',
        'iothub_hostname',
        'device_id',
        'connection_string',
        'hostname',
        'parent_hostname',
        'local_gateway_hostname',
        'agent',
        'config',
        'image',
        'auth',
        'username',
        'password',
        'env',
        'https_proxy',
        'UpstreamProtocol',
      ),
      fc.string({ maxLength: 10 }),
    );
    const scalar = fc.oneof(
      fc.constantFrom(
        'manual',
        'dps',
        'none',
        'Manual',
        'sas',
        'symmetric_key',
        '',
        'https://global.azure-devices-provisioning.net',
        `HostName=${PUBLIC_HUB};DeviceId=d;SharedAccessKey=${CANARY}`,
        `http://u:${CANARY}@proxy:3128`,
        'myreg.azurecr.io/agent:1.5',
        CANARY,
      ),
      fc.string({ maxLength: 30 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      // Years TOML can write (stringify writes others in a form parse refuses).
      fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }),
    );
    const { table } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 3 }), tie('table')),
      table: fc.dictionary(key, tie('value'), { maxKeys: 6 }),
    }));
    fc.assert(
      fc.property(table, (doc) => {
        let text: string;
        try {
          text = stringify(doc);
        } catch {
          return; // a value TOML cannot hold (e.g. an array of tables mixed with scalars): not a document
        }
        const read = readTimed(text);
        expect(read.state).toBe('found');
        expectAnswered(read);
      }),
      { numRuns: 400 },
    );
  });

  it('pathological documents of the largest size read are answered within the time bound', () => {
    const fill = (unit: string) => unit.repeat(Math.floor(MAX_BYTES.configToml / unit.length));
    const worst = [
      `a${fill('.a')} = 1`,
      fill('[[provisioning]]\n'),
      `a = ${fill('[')}`,
      `a = "${fill('\\u0041')}"`,
      Array.from({ length: MAX_BYTES.configToml / 16 }, (_, i) => `[t${i}]\nk = 1`)
        .join('\n')
        .slice(0, MAX_BYTES.configToml),
    ];
    for (const text of worst) expectAnswered(readTimed(Buffer.from(text)));
  });

  it('the UTF-8 check agrees with Node’s own on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(firstInvalidUtf8(bytes) === -1).toBe(isUtf8(bytes));
      }),
      { numRuns: 2_000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        expect(firstInvalidUtf8(Buffer.from(text, 'utf8'))).toBe(-1);
      }),
    );
  });
});
