import { describe, expect, it } from 'vitest';
import type { ConfigError, DesiredDoc, ModuleConfig } from '../../src/config/model.js';
import { DEFAULT_CONFIG, validateDesired } from '../../src/config/validate.js';
import { DEFAULT_SETTINGS } from '../../src/probe/defaults.js';

function accepted(doc: DesiredDoc): ModuleConfig {
  const result = validateDesired(doc);
  if (!result.ok) throw new Error(`rejected: ${JSON.stringify(result.errors)}`);
  return result.config;
}

function rejected(doc: DesiredDoc): ConfigError[] {
  const result = validateDesired(doc);
  if (result.ok) throw new Error('accepted');
  return result.errors;
}

const hub = { host: 'h.privatelink.azure-devices.net' };

describe('validateDesired: defaults', () => {
  it('an empty document gives the documented defaults, and that is DEFAULT_CONFIG', () => {
    const config = accepted({});
    expect(config).toEqual({
      intervalSeconds: 300,
      settings: { ...DEFAULT_SETTINGS },
      explicit: {},
      targets: [],
      autoTargets: true,
      telemetry: { enabled: true, output: 'probeResults', onChangeOnly: false, detail: 'auto' },
      flapping: { enabled: true, changes: 4, window: 12 },
    });
    expect(DEFAULT_CONFIG).toEqual(config);
  });

  it('null values read as absent (merge-patch deletion)', () => {
    expect(accepted({ intervalSeconds: null, dns: { servers: null }, targets: { a: null } })).toEqual(DEFAULT_CONFIG);
  });
});

describe('validateDesired: the desired layer of the settings', () => {
  it('records what the document sets, and only that, as read', () => {
    expect(accepted({ timeoutMs: '1500', dns: { servers: '10.0.0.4', system: null } }).explicit).toEqual({
      timeoutMs: 1500,
      dnsServers: ['10.0.0.4:53'],
    });
    expect(
      accepted({
        hostnamePolicy: 'any',
        dns: { privateRanges: ['10.0.0.0/8'], system: false, servers: ['10.0.0.4:5353'] },
      }).explicit,
    ).toEqual({
      hostnamePolicy: 'any',
      privateRanges: ['10.0.0.0/8'],
      systemDns: false,
      dnsServers: ['10.0.0.4:5353'],
    });
  });
});

describe('validateDesired: telemetry detail', () => {
  it('is auto unless set to full; anything else is refused', () => {
    expect(accepted({ telemetry: { detail: 'full' } }).telemetry.detail).toBe('full');
    expect(rejected({ telemetry: { detail: 'compact' } })).toEqual([
      expect.objectContaining({ path: 'telemetry.detail' }),
    ]);
  });
});

describe('validateDesired: flapping', () => {
  it('tunes the rule within the kept history, and refuses more changes than the window can hold', () => {
    expect(accepted({ flapping: { changes: '3', window: 6 } }).flapping).toEqual({
      enabled: true,
      changes: 3,
      window: 6,
    });
    expect(accepted({ flapping: { enabled: false } }).flapping).toEqual({ enabled: false, changes: 4, window: 12 });
    expect(rejected({ flapping: { changes: 1 } })).toEqual([expect.objectContaining({ path: 'flapping.changes' })]);
    expect(rejected({ flapping: { window: 289 } })).toEqual([expect.objectContaining({ path: 'flapping.window' })]);
    expect(rejected({ flapping: { changes: 8, window: 6 } })).toEqual([
      {
        key: 'flapping',
        path: 'flapping.changes',
        message: '8 changes cannot happen within a window of 6 runs: make changes at most window',
      },
    ]);
  });
});

describe('validateDesired: numbers', () => {
  it('intervalSeconds accepts 10 and 86400, rejects 9 and 86401', () => {
    expect(accepted({ intervalSeconds: 10 }).intervalSeconds).toBe(10);
    expect(accepted({ intervalSeconds: 86400 }).intervalSeconds).toBe(86400);
    expect(rejected({ intervalSeconds: 9 })).toEqual([
      { key: 'intervalSeconds', path: 'intervalSeconds', message: 'must be an integer from 10 to 86400, got 9' },
    ]);
    expect(rejected({ intervalSeconds: 86401 })[0]!.message).toBe('must be an integer from 10 to 86400, got 86401');
  });

  it('timeoutMs accepts 100 and 60000, rejects 99 and 60001', () => {
    expect(accepted({ timeoutMs: 100 }).settings.timeoutMs).toBe(100);
    expect(accepted({ timeoutMs: 60000 }).settings.timeoutMs).toBe(60000);
    expect(rejected({ timeoutMs: 99 })[0]).toMatchObject({
      path: 'timeoutMs',
      message: 'must be an integer from 100 to 60000, got 99',
    });
    expect(rejected({ timeoutMs: 60001 })[0]).toMatchObject({ path: 'timeoutMs' });
  });

  it('reads whole decimal numbers given as strings, but not fractions or other spellings', () => {
    expect(accepted({ intervalSeconds: '300', timeoutMs: ' 2000 ' })).toMatchObject({
      intervalSeconds: 300,
      settings: { timeoutMs: 2000 },
    });
    expect(rejected({ intervalSeconds: 30.5 })[0]!.message).toBe('must be an integer from 10 to 86400, got 30.5');
    expect(rejected({ intervalSeconds: '3e2' })[0]!.message).toBe("must be an integer from 10 to 86400, got '3e2'");
    expect(rejected({ intervalSeconds: true })[0]!.message).toBe('must be an integer from 10 to 86400, got true');
  });
});

describe('validateDesired: booleans and enums', () => {
  it('reads true/false, also as strings in any case, and names the expected type otherwise', () => {
    expect(accepted({ autoTargets: false }).autoTargets).toBe(false);
    expect(accepted({ autoTargets: 'FALSE', telemetry: { onChangeOnly: 'true' } })).toMatchObject({
      autoTargets: false,
      telemetry: { onChangeOnly: true },
    });
    expect(rejected({ autoTargets: 'yes' })[0]!.message).toBe("must be a boolean (true or false), got 'yes'");
    expect(rejected({ autoTargets: 1 })[0]!.message).toBe('must be a boolean (true or false), got 1');
  });

  it('hostnamePolicy takes privatelink, public or any', () => {
    expect(accepted({ hostnamePolicy: 'public' }).settings.hostnamePolicy).toBe('public');
    expect(rejected({ hostnamePolicy: 'private' })[0]).toMatchObject({
      key: 'hostnamePolicy',
      message: "must be one of privatelink, public, any, got 'private'",
    });
  });
});

describe('validateDesired: unknown keys and sizes', () => {
  it('names an unknown top-level key', () => {
    expect(rejected({ intervalSecs: 60 })).toEqual([
      { key: 'intervalSecs', path: 'intervalSecs', message: "unknown key 'intervalSecs'" },
    ]);
  });

  it('names unknown nested keys with their path, under the top-level key at fault', () => {
    expect(rejected({ dns: { server: '10.0.0.4' } })).toEqual([
      { key: 'dns', path: 'dns.server', message: "unknown key 'server'" },
    ]);
    expect(rejected({ targets: { acr: { ...hub, colour: 'red' } } })).toEqual([
      { key: 'targets', path: 'targets.acr.colour', message: "unknown key 'colour'" },
    ]);
    expect(rejected({ telemetry: { output: 'x', format: 'json' } })[0]!.path).toBe('telemetry.format');
  });

  it('rejects a 10 KB string wherever it is', () => {
    const long = 'a'.repeat(10 * 1024);
    expect(rejected({ telemetry: { output: long } })).toEqual([
      { key: 'telemetry', path: 'telemetry.output', message: 'is too long: 10240 bytes, at most 512' },
    ]);
    expect(rejected({ dns: { servers: long } })[0]!.path).toBe('dns.servers');
    expect(rejected({ targets: { a: { host: long } } })[0]!.path).toBe('targets.a.host');
    expect(rejected({ targets: { a: { ...hub, ports: [443, long] } } })[0]).toMatchObject({
      path: 'targets.a.ports',
      message: 'is too long: 10240 bytes, at most 512',
    });
    expect(rejected({ dns: { privateRanges: ['10.0.0.0/8', long] } })[0]!.message).toBe(
      'is too long: 10240 bytes, at most 512',
    );
  });

  it('accepts a string of 512 bytes and rejects one of 513 (multi-byte characters counted in bytes)', () => {
    expect(accepted({ dns: { servers: `${' '.repeat(504)}10.0.0.4` } }).settings.dnsServers).toEqual(['10.0.0.4:53']);
    expect(rejected({ dns: { servers: `${' '.repeat(505)}10.0.0.4` } })[0]!.message).toBe(
      'is too long: 513 bytes, at most 512',
    );
    expect(rejected({ dns: { servers: `${'é'.repeat(253)}10.0.0.4` } })[0]!.message).toBe(
      'is too long: 514 bytes, at most 512',
    );
  });

  it('rejects a list whose joined form would not fit one reported string', () => {
    const privateRanges = Array.from({ length: 20 }, (_, i) => `fd00:1111:2222:3333:4444:5555:6666:${i + 1}/128`);
    expect(rejected({ dns: { privateRanges } })[0]!.message).toMatch(
      /^is too long: \d+ bytes joined with ',', at most 512$/,
    );
  });

  it('reports every fault of a document at once', () => {
    const errors = rejected({ intervalSeconds: 1, timeoutMs: 1, foo: 1, targets: { a: { host: 'bad host' } } });
    expect(errors.map((e) => e.path).sort()).toEqual(['foo', 'intervalSeconds', 'targets.a.host', 'timeoutMs']);
  });

  it('ignores twin metadata keys left in a document', () => {
    expect(accepted({ $version: 4, $metadata: {}, intervalSeconds: 60 }).intervalSeconds).toBe(60);
  });
});

describe('validateDesired: dns', () => {
  it('normalizes servers to ip:port, accepting ip, ip:port and [ipv6]:port, as a string or an array', () => {
    const expected = ['10.0.0.4:53', '10.0.0.5:5353', '[fd00::4]:53'];
    expect(accepted({ dns: { servers: '10.0.0.4, 10.0.0.5:5353,[fd00::4]:53' } }).settings.dnsServers).toEqual(
      expected,
    );
    expect(
      accepted({ dns: { servers: ['10.0.0.4', '10.0.0.5:5353', 'fd00::4', '10.0.0.4:53'] } }).settings.dnsServers,
    ).toEqual(expected);
  });

  it('names a bad DNS server', () => {
    expect(rejected({ dns: { servers: '10.0.0.4,dns.contoso.com' } })).toEqual([
      {
        key: 'dns',
        path: 'dns.servers',
        message: "'dns.contoso.com' is not a DNS server: use ip, ip:port or [ipv6]:port",
      },
    ]);
    expect(rejected({ dns: { servers: '10.0.0.4:70000' } })[0]!.path).toBe('dns.servers');
    expect(rejected({ dns: { servers: 53 } })[0]!.message).toMatch(/^must be a list/);
  });

  it('takes CIDR lists and names a bad one', () => {
    expect(accepted({ dns: { privateRanges: ['10.0.0.0/8', 'fd00::/8'] } }).settings.privateRanges).toEqual([
      '10.0.0.0/8',
      'fd00::/8',
    ]);
    expect(rejected({ dns: { privateRanges: '10.0.0.0/8,10.0.0.0/33' } })).toEqual([
      {
        key: 'dns',
        path: 'dns.privateRanges',
        message: "'10.0.0.0/33' is not a CIDR: use address/prefix, e.g. 10.0.0.0/8 or fc00::/7",
      },
    ]);
    expect(rejected({ dns: { privateRanges: '10.0.0.1' } })[0]!.path).toBe('dns.privateRanges');
    expect(rejected({ dns: { privateRanges: '' } })[0]!.message).toBe(
      'must list at least one CIDR (delete the key for the defaults)',
    );
  });

  it('rejects turning the system resolver off without explicit servers', () => {
    expect(accepted({ dns: { system: false, servers: '10.0.0.4' } }).settings).toMatchObject({
      systemDns: false,
      dnsServers: ['10.0.0.4:53'],
    });
    expect(rejected({ dns: { system: false } })).toEqual([
      {
        key: 'dns',
        path: 'dns.system',
        message: 'is false but dns.servers is empty: nothing would resolve the targets',
      },
    ]);
  });

  it('needs dns to be an object', () => {
    expect(rejected({ dns: '10.0.0.4' })[0]).toMatchObject({
      path: 'dns',
      message: expect.stringMatching(/^must be an object/),
    });
  });
});

describe('validateDesired: targets', () => {
  it('gives targets sorted by name, normalized, with source desired; disabled ones dropped', () => {
    const config = accepted({
      targets: {
        zeta: { host: 'R.PrivateLink.AzureCR.io.', kind: 'acr', ports: '443', expectedAddresses: '10.1.2.4, 10.1.2.5' },
        alpha: hub,
        off: { host: 'x.blob.core.windows.net', enabled: false },
        offText: { host: 'x.blob.core.windows.net', enabled: 'false' },
      },
    });
    expect(config.targets).toEqual([
      { name: 'alpha', host: 'h.privatelink.azure-devices.net', source: 'desired' },
      {
        name: 'zeta',
        host: 'r.privatelink.azurecr.io',
        kind: 'acr',
        ports: [443],
        expectedAddresses: ['10.1.2.4', '10.1.2.5'],
        source: 'desired',
      },
    ]);
  });

  it('accepts an IP address as host and rejects a bad hostname', () => {
    expect(
      accepted({ targets: { ip: { host: '10.1.2.4' }, v6: { host: 'fd00::4' } } }).targets.map((t) => t.host),
    ).toEqual(['10.1.2.4', 'fd00::4']);
    expect(rejected({ targets: { a: { host: 'my_hub.azure-devices.net' } } })).toEqual([
      {
        key: 'targets',
        path: 'targets.a.host',
        message: "'my_hub.azure-devices.net' is not a hostname (RFC 1123) or an IP address",
      },
    ]);
    expect(rejected({ targets: { a: { host: '-x.example.com' } } })[0]!.path).toBe('targets.a.host');
  });

  it('requires a host, even on a disabled target', () => {
    expect(rejected({ targets: { a: { kind: 'acr' } } })).toEqual([
      { key: 'targets', path: 'targets.a.host', message: 'is required: the hostname or IP address to probe' },
    ]);
    expect(rejected({ targets: { a: { enabled: false } } })[0]!.path).toBe('targets.a.host');
  });

  it('validates ports at their boundaries', () => {
    const ports = (p: unknown) => validateDesired({ targets: { a: { ...hub, ports: p } } });
    expect(ports('1,65535')).toMatchObject({ ok: true, config: { targets: [{ ports: [1, 65535] }] } });
    expect(ports([8883, '443'])).toMatchObject({ ok: true, config: { targets: [{ ports: [8883, 443] }] } });
    for (const [bad, message] of [
      ['0', 'port 0 is out of range 1–65535'],
      [65536, 'port 65536 is out of range 1–65535'],
      ['443,70000', 'port 70000 is out of range 1–65535'],
    ] as const) {
      expect(ports(bad)).toEqual({ ok: false, errors: [{ key: 'targets', path: 'targets.a.ports', message }] });
    }
  });

  it('names a bad kind, a bad expected address and a bad enabled flag', () => {
    expect(rejected({ targets: { a: { ...hub, kind: 'sql' } } })[0]).toMatchObject({
      path: 'targets.a.kind',
      message: expect.stringContaining('iothub, dps'),
    });
    expect(rejected({ targets: { a: { ...hub, expectedAddresses: '10.1.2.4,10.1.2' } } })[0]).toMatchObject({
      path: 'targets.a.expectedAddresses',
      message: "'10.1.2' is not an IP address",
    });
    expect(rejected({ targets: { a: { ...hub, enabled: 'no' } } })[0]!.path).toBe('targets.a.enabled');
  });

  it('treats an empty expectedAddresses list as no pin', () => {
    expect(accepted({ targets: { a: { ...hub, expectedAddresses: '' } } }).targets[0]).not.toHaveProperty(
      'expectedAddresses',
    );
  });

  it('accepts 32 enabled targets and rejects 33; disabled ones do not count', () => {
    const many = (n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, { host: `h${i}.example.com` }]));
    expect(accepted({ targets: many(32) }).targets).toHaveLength(32);
    expect(rejected({ targets: many(33) })).toEqual([
      { key: 'targets', path: 'targets', message: '33 enabled targets, at most 32' },
    ]);
    expect(
      accepted({ targets: { ...many(32), extra: { host: 'x.example.com', enabled: false } } }).targets,
    ).toHaveLength(32);
  });

  it('needs twin-safe target names of 1–64 characters', () => {
    expect(accepted({ targets: { [`A-z_9${'x'.repeat(59)}`]: hub } }).targets).toHaveLength(1);
    expect(rejected({ targets: { [`a${'x'.repeat(64)}`]: hub } })[0]!.message).toMatch(
      /must be 1–64 letters, digits, '_' or '-'$/,
    );
    expect(rejected({ targets: { 'my hub': hub } })[0]!.path).toBe('targets.my hub');
  });

  it('needs targets to be an object of objects', () => {
    expect(rejected({ targets: ['h.example.com'] })[0]).toMatchObject({
      path: 'targets',
      message: expect.stringMatching(/^must be an object keyed by target name/),
    });
    expect(rejected({ targets: { a: 'h.example.com' } })[0]).toMatchObject({
      path: 'targets.a',
      message: expect.stringMatching(/^must be an object/),
    });
  });
});

describe('validateDesired: telemetry', () => {
  it('takes an output name of letters, digits, _ and -, at most 64', () => {
    expect(accepted({ telemetry: { enabled: false, output: 'plp_results-2' } }).telemetry).toEqual({
      enabled: false,
      output: 'plp_results-2',
      onChangeOnly: false,
      detail: 'auto',
    });
    expect(rejected({ telemetry: { output: 'probe results' } })[0]!.path).toBe('telemetry.output');
    expect(rejected({ telemetry: { output: 'x'.repeat(65) } })[0]!.path).toBe('telemetry.output');
    expect(rejected({ telemetry: { output: '' } })[0]!.path).toBe('telemetry.output');
  });
});

describe('validateDesired: serviceCheck', () => {
  it('is on by default, turned off by false, and recorded as set only when the document sets it', () => {
    expect(accepted({}).settings.serviceCheck).toBe(true);
    const off = accepted({ serviceCheck: false });
    expect(off.settings.serviceCheck).toBe(false);
    expect(off.explicit).toEqual({ serviceCheck: false });
    expect(accepted({ serviceCheck: 'true' }).settings.serviceCheck).toBe(true);
  });

  it('rejects what is not a boolean, naming the key', () => {
    expect(rejected({ serviceCheck: 3 })[0]).toMatchObject({ key: 'serviceCheck', path: 'serviceCheck' });
  });
});
