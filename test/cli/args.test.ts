import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCheckArgs, parseTargetSpec, UsageError } from '../../src/cli/args.js';
import { DEFAULT_SETTINGS } from '../../src/probe/defaults.js';

describe('check arguments', () => {
  it('maps the service flags to named targets with their kinds', () => {
    const a = parseCheckArgs([
      '--hub',
      'h.privatelink.azure-devices.net',
      '--dps',
      'global.privatelink.azure-devices-provisioning.net',
      '--acr',
      'r.privatelink.azurecr.io',
      '--blob',
      's.privatelink.blob.core.windows.net',
      '--blob',
      't.blob.core.windows.net',
    ]);
    expect(a.targets.map((t) => [t.name, t.kind])).toEqual([
      ['iothub', 'iothub'],
      ['dps', 'dps'],
      ['acr', undefined],
      ['blob', 'blob'],
      ['blob2', 'blob'],
    ]);
  });

  it('parses --target name=host:ports, ports replacing the defaults', () => {
    expect(parseTargetSpec('hub=h.privatelink.azure-devices.net:8883,443')).toMatchObject({
      name: 'hub',
      host: 'h.privatelink.azure-devices.net',
      ports: [8883, 443],
    });
    expect(parseTargetSpec('x=10.1.2.4')).toMatchObject({ host: '10.1.2.4' });
    expect(parseTargetSpec('x=h.example')).not.toHaveProperty('ports');
  });

  it('builds settings from resolution, trust and behaviour flags without touching the defaults', () => {
    const a = parseCheckArgs([
      '--hub',
      'h.privatelink.azure-devices.net',
      '--dns-server',
      '10.0.0.4',
      '--dns-server',
      '127.0.0.1:5353',
      '--no-system-dns',
      '--private-range',
      '127.0.0.0/8',
      '--timeout',
      '1500',
      '--policy',
      'any',
      '--known-root',
      'Contoso Root',
      '--connect-all',
      '--json',
    ]);
    expect(a.settings).toMatchObject({
      dnsServers: ['10.0.0.4', '127.0.0.1:5353'],
      systemDns: false,
      privateRanges: ['127.0.0.0/8'],
      timeoutMs: 1500,
      hostnamePolicy: 'any',
      connectTo: 'all',
    });
    expect(a.settings.knownRoots).toContain('Contoso Root');
    expect(a.json).toBe(true);
    expect(DEFAULT_SETTINGS.dnsServers).toEqual([]);
    expect(DEFAULT_SETTINGS.knownRoots).not.toContain('Contoso Root');
  });

  it('pins addresses with --expect and takes the CA file from CA_FILE', () => {
    const a = parseCheckArgs(['--hub', 'h.privatelink.azure-devices.net', '--expect', 'iothub=10.1.2.4,10.1.2.5'], {
      CA_FILE: '/tmp/ca.pem',
    });
    expect(a.targets[0]?.expectedAddresses).toEqual(['10.1.2.4', '10.1.2.5']);
    expect(a.caFile).toBe('/tmp/ca.pem');
  });

  it.each([
    [[], 'nothing to check'],
    [['--hub'], 'argument missing'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['--hub', 'bad_host!'], 'not a valid hostname'],
    [['--target', 'no-equals'], 'NAME=HOST'],
    [['--target', 'x=h.example:70000'], 'ports'],
    [['--target', 'x=h.example:0'], 'ports'],
    [['--hub', 'h.example', '--timeout', '99'], '--timeout'],
    [['--hub', 'h.example', '--timeout', '60001'], '--timeout'],
    [['--hub', 'h.example', '--policy', 'private'], '--policy'],
    [['--hub', 'h.example', '--private-range', '10.0.0.0'], '--private-range'],
    [['--hub', 'h.example', '--dns-server', 'dns.example'], '--dns-server'],
    [['--hub', 'h.example', '--no-system-dns'], '--no-system-dns needs'],
    [['--hub', 'h.example', '--expect', 'other=10.0.0.1'], '--expect'],
    [['--hub', 'h.example', '--target', 'iothub=x.example'], 'used twice'],
    [['positional'], 'Unexpected argument'],
  ])('%j is a usage error mentioning %s', (argv, text) => {
    expect(() => parseCheckArgs(argv as string[])).toThrow(UsageError);
    expect(() => parseCheckArgs(argv as string[])).toThrow(text);
  });

  it('never throws anything but a UsageError, whatever the arguments', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom(
              '--hub',
              '--target',
              '--timeout',
              '--dns-server',
              '--private-range',
              '--expect',
              '--policy',
              '--json',
            ),
            fc.string(),
          ),
        ),
        (argv) => {
          try {
            parseCheckArgs(argv);
          } catch (e) {
            expect(e).toBeInstanceOf(UsageError);
          }
        },
      ),
    );
  });
});

describe('check arguments within the limits desired properties have', () => {
  it('refuses more DNS servers, private ranges, ports or known roots than a desired document may hold', () => {
    const servers = Array.from({ length: 9 }, (_, i) => ['--dns-server', `10.0.0.${i + 1}`]).flat();
    expect(() => parseCheckArgs(['--hub', 'h.privatelink.azure-devices.net', ...servers])).toThrow(
      '--dns-server: given 9 times, more than 8',
    );
    const ranges = Array.from({ length: 33 }, (_, i) => ['--private-range', `10.${i}.0.0/16`]).flat();
    expect(() => parseCheckArgs(['--hub', 'h.privatelink.azure-devices.net', ...ranges])).toThrow(
      '--private-range: given 33 times, more than 32',
    );
    expect(() => parseTargetSpec('t=h.example.com:1,2,3,4,5,6,7,8,9')).toThrow('--target: 9 ports, more than 8');
    const roots = Array.from({ length: 17 }, (_, i) => ['--known-root', `Root ${i}`]).flat();
    expect(() => parseCheckArgs(['--hub', 'h.privatelink.azure-devices.net', ...roots])).toThrow(
      '--known-root: given 17 times, more than 16',
    );
  });
});

describe('check flags of the service check and the proxy', () => {
  const HUB = ['--hub', 'h.privatelink.azure-devices.net'];

  it('--no-service-check turns the exchange off; by default it is on', () => {
    expect(parseCheckArgs(HUB).settings.serviceCheck).toBe(true);
    expect(parseCheckArgs([...HUB, '--no-service-check']).settings.serviceCheck).toBe(false);
  });

  it('--proxy gives the proxy (credentials only in the header), over https_proxy; --no-proxy ignores the environment', () => {
    const env = { https_proxy: 'http://env-proxy:3128', no_proxy: '.factory.local' };
    expect(parseCheckArgs(HUB, env).settings.proxy).toMatchObject({ url: 'http://env-proxy:3128', port: 3128 });
    const flag = parseCheckArgs([...HUB, '--proxy', 'http://u:p%40ss@proxy.factory.local:8080'], env).settings.proxy!;
    expect(flag).toMatchObject({ url: 'http://proxy.factory.local:8080', host: 'proxy.factory.local', port: 8080 });
    expect(flag.authorization).toBe(`Basic ${Buffer.from('u:p@ss').toString('base64')}`);
    expect(parseCheckArgs([...HUB, '--no-proxy'], env).settings.proxy).toBeUndefined();
  });

  it('a bad proxy URL or both flags is a usage error that never quotes the password', () => {
    expect(() => parseCheckArgs([...HUB, '--proxy', 'socks5://u:secret@proxy:1080'])).toThrow(UsageError);
    try {
      parseCheckArgs([...HUB, '--proxy', 'socks5://u:secret@proxy:1080']);
    } catch (error) {
      expect((error as Error).message).toMatch(/^--proxy: /);
      expect((error as Error).message).not.toContain('secret');
    }
    expect(() => parseCheckArgs([...HUB, '--proxy', 'http://p:3128', '--no-proxy'])).toThrow(
      '--proxy and --no-proxy exclude each other',
    );
  });
});
