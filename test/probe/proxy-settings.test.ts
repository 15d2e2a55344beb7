import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NO_PROXY_LIMITS,
  parseNoProxy,
  parseProxyUrl,
  proxyApplies,
  proxyFromEnvironment,
  type ProxyEndpoint,
} from '../../src/probe/proxy-settings.js';

const HUB = 'myhub.azure-devices.net';

function endpoint(text: string): ProxyEndpoint {
  const parsed = parseProxyUrl(text);
  if (typeof parsed === 'string') throw new Error(`expected ${text} to parse: ${parsed}`);
  return parsed;
}

const basic = (userPassword: string) => `Basic ${Buffer.from(userPassword, 'utf8').toString('base64')}`;

describe('parseProxyUrl', () => {
  it.each([
    ['http://proxy.corp:3128', 'http://proxy.corp:3128', 'proxy.corp', 3128],
    ['HTTP://Proxy.Corp:3128/', 'http://proxy.corp:3128', 'proxy.corp', 3128],
    ['http://proxy.corp', 'http://proxy.corp:80', 'proxy.corp', 80],
    ['http://proxy.corp:', 'http://proxy.corp:80', 'proxy.corp', 80],
    ['proxy.corp:8080', 'http://proxy.corp:8080', 'proxy.corp', 8080],
    ['  10.1.2.3:3128  ', 'http://10.1.2.3:3128', '10.1.2.3', 3128],
    ['http://[::1]:3128', 'http://[::1]:3128', '::1', 3128],
    ['[FD00::5]', 'http://[fd00::5]:80', 'fd00::5', 80],
    ['http://squid_01.factory.local:3128', 'http://squid_01.factory.local:3128', 'squid_01.factory.local', 3128],
  ])('%s → %s', (text, url, host, port) => {
    expect(parseProxyUrl(text)).toEqual({ url, host, port });
  });

  it('turns percent-encoded credentials into the Basic header bytes and keeps them out of the URL', () => {
    const parsed = endpoint('http://user%40corp:p%3Ass@proxy.corp:3128');
    expect(parsed).toEqual({
      url: 'http://proxy.corp:3128',
      host: 'proxy.corp',
      port: 3128,
      authorization: basic('user@corp:p:ss'),
    });
    expect(Buffer.from(parsed.authorization!.slice('Basic '.length), 'base64').toString('utf8')).toBe('user@corp:p:ss');
  });

  it('encodes credentials as UTF-8 (RFC 7617), takes the last @ as the end of the user information', () => {
    expect(endpoint('http://j%C3%B6rg:s%C3%A9cret@proxy:3128').authorization).toBe(basic('jörg:sécret'));
    expect(endpoint('http://user:p@ss@proxy:3128')).toMatchObject({ host: 'proxy', authorization: basic('user:p@ss') });
    expect(endpoint('http://user@proxy:3128').authorization).toBe(basic('user:'));
    expect(endpoint('http://@proxy:3128').authorization).toBeUndefined();
  });

  it.each([
    ['', 'empty'],
    ['https://proxy:3128', 'https:// proxy'],
    ['socks5://proxy:1080', 'must start with http://'],
    ['http://proxy:3128/path', 'without a path'],
    ['http://proxy:3128?x=1', 'without a path'],
    ['http://proxy:0', '1–65535'],
    ['http://proxy:65536', '1–65535'],
    ['http://proxy:31a', 'numeric port'],
    ['http://:3128', 'no host'],
    ['http://[not-v6]:3128', 'not a valid host'],
    ['http://bad..name:3128', 'not a valid host'],
    ['http://::1:3128', 'numeric port'],
    ['http://pro xy:3128', 'spaces or control'],
    ['http://us%ZZer:pw@proxy:3128', 'percent-encoding'],
    ['http://us%3Aer:pw@proxy:3128', 'colon'],
  ])('refuses %j with a sentence (%s)', (text, words) => {
    const parsed = parseProxyUrl(text);
    expect(typeof parsed).toBe('string');
    expect(parsed).toContain(words);
  });

  it('never quotes the password in an error, even when it splits the URL somewhere unexpected', () => {
    for (const text of [
      'http://user:Hunter2/x@proxy:3128',
      'http://user:Hunter2@proxy:99999',
      'http://user:Hunter2@',
      'https://user:Hunter2@proxy:3128',
      'http://user:Hunter2%@proxy:3128',
      'http://user:Hunter2@[proxy]:3128',
    ]) {
      const parsed = parseProxyUrl(text);
      expect(typeof parsed, text).toBe('string');
      expect(parsed).not.toContain('Hunter2');
    }
  });
});

describe('parseProxyUrl, properties', () => {
  const secret = fc.string({ minLength: 1, maxLength: 30 }).map((s) => `S3cr3t${s}`);
  const user = fc.string({ maxLength: 20 }).filter((s) => !s.includes(':'));

  it('answers every string with an endpoint or a sentence, never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const parsed = parseProxyUrl(text);
        expect(['string', 'object']).toContain(typeof parsed);
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips any credentials into the header, and the display URL never holds them', () => {
    fc.assert(
      fc.property(user, secret, fc.integer({ min: 1, max: 65535 }), (u, password, port) => {
        const text = `http://${encodeURIComponent(u)}:${encodeURIComponent(password)}@proxy.corp:${port}`;
        const parsed = endpoint(text);
        expect(parsed.url).toBe(`http://proxy.corp:${port}`);
        expect(parsed.authorization).toBe(basic(`${u}:${password}`));
        expect(JSON.stringify({ url: parsed.url, host: parsed.host })).not.toContain('S3cr3t');
      }),
    );
  });

  it('never puts a password into the display URL or an error, whatever surrounds it', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), secret, fc.string({ maxLength: 20 }), (before, password, after) => {
        const parsed = parseProxyUrl(`http://${before}:${password}@${after}`);
        const shown = typeof parsed === 'string' ? parsed : `${parsed.url} ${parsed.host}`;
        expect(shown).not.toContain('S3cr3t');
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseNoProxy and proxyApplies', () => {
  const applies = (noProxy: string, host: string, port = 443) =>
    proxyApplies({ noProxy: parseNoProxy(noProxy).rules }, host, port);

  it('exempts an exact name, case-insensitively and with a trailing dot', () => {
    expect(applies('myhub.azure-devices.net', HUB)).toBe(false);
    expect(applies('MyHub.Azure-Devices.NET', HUB)).toBe(false);
    expect(applies('myhub.azure-devices.net.', `${HUB}.`)).toBe(false);
    expect(applies('otherhub.azure-devices.net', HUB)).toBe(true);
  });

  it('exempts a suffix and its subdomains, with or without the leading dot (as curl does), or with *.', () => {
    for (const entry of ['azure-devices.net', '.azure-devices.net', '*.azure-devices.net']) {
      expect(applies(entry, HUB), entry).toBe(false);
      expect(applies(entry, 'azure-devices.net'), entry).toBe(false);
      expect(applies(entry, 'a.b.azure-devices.net'), entry).toBe(false);
      expect(applies(entry, 'notazure-devices.net'), entry).toBe(true);
      expect(applies(entry, 'azure-devices.net.evil.example'), entry).toBe(true);
    }
  });

  it('exempts everything with * alone, and nothing with an empty list', () => {
    expect(applies('*', HUB)).toBe(false);
    expect(applies('*', '10.0.0.4', 8883)).toBe(false);
    expect(applies('', HUB)).toBe(true);
    expect(applies(' , ,', HUB)).toBe(true);
    expect(applies('*.', HUB)).toBe(true);
  });

  it('trims whitespace around entries', () => {
    expect(applies('  localhost ,\t.azure-devices.net  ', HUB)).toBe(false);
    expect(applies('localhost , 10.0.0.0/8', '10.1.2.3')).toBe(false);
  });

  it('matches IP addresses literally, in any spelling, and only IP-literal hosts', () => {
    expect(applies('10.1.2.3', '10.1.2.3')).toBe(false);
    expect(applies('10.1.2.3', '10.1.2.4')).toBe(true);
    expect(applies('fd00::5', 'FD00:0:0::5')).toBe(false);
    expect(applies('[fd00::5]', '[fd00::5]')).toBe(false);
    expect(applies('::1', '::2')).toBe(true);
    expect(applies('10.1.2.3', '3.10.1.2.3')).toBe(true);
    expect(applies('1.2.3', '10.1.2.3')).toBe(true);
  });

  it('matches CIDRs against IP-literal hosts only, IPv4-mapped IPv6 as IPv4', () => {
    expect(applies('10.0.0.0/8', '10.200.0.1')).toBe(false);
    expect(applies('10.0.0.0/8', '11.0.0.1')).toBe(true);
    expect(applies('10.0.0.0/8', '::ffff:10.0.0.9')).toBe(false);
    expect(applies('::ffff:10.0.0.0/104', '10.9.9.9')).toBe(false);
    expect(applies('fd00::/8', 'fd12:3456::1')).toBe(false);
    expect(applies('fd00::/8', 'fe80::1')).toBe(true);
    expect(applies('10.0.0.0/8', '10.example.com')).toBe(true);
    expect(applies('0.0.0.0/0', HUB)).toBe(true);
  });

  it('limits an entry with :port to that port', () => {
    expect(applies('myhub.azure-devices.net:8883', HUB, 8883)).toBe(false);
    expect(applies('myhub.azure-devices.net:8883', HUB, 443)).toBe(true);
    expect(applies('.azure-devices.net:443', HUB, 443)).toBe(false);
    expect(applies('10.0.0.0/8:443', '10.0.0.1', 443)).toBe(false);
    expect(applies('10.0.0.0/8:443', '10.0.0.1', 5671)).toBe(true);
    expect(applies('[fd00::5]:443', 'fd00::5', 443)).toBe(false);
    expect(applies('[fd00::5]:443', 'fd00::5', 80)).toBe(true);
  });

  it('ignores entries it cannot read and names them in a note, without control characters', () => {
    const { rules, notes } = parseNoProxy('good.example, bad name, 10.0.0.0/33, host:0, [nope]:1, x\u0007y');
    expect(rules).toEqual([{ kind: 'domain', name: 'good.example' }]);
    expect(notes).toHaveLength(5);
    expect(notes[0]).toBe('no_proxy entry "bad name" is not a name, address or CIDR: ignored');
    expect(notes.join(' ')).not.toMatch(/[\x00-\x1f]/); // eslint-disable-line no-control-regex
  });

  it(`uses at most ${NO_PROXY_LIMITS.entries} entries of at most ${NO_PROXY_LIMITS.entryLength} characters`, () => {
    const many = Array.from({ length: 100 }, (_, i) => `host${i}.example`).join(',');
    const { rules, notes } = parseNoProxy(many);
    expect(rules).toHaveLength(64);
    expect(notes).toEqual(['no_proxy has 100 entries: only the first 64 are used']);
    const long = ['a', 'b', 'c', 'd', 'e'].map((c) => c.repeat(60)).join('.');
    expect(parseNoProxy(long).rules).toEqual([]);
    expect(parseNoProxy(long).notes[0]).toMatch(/^no_proxy entry ".{61}\.\.\." is not/);
  });

  it('never throws and stays bounded on any text, nor on any host', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.string({ maxLength: 60 }), fc.integer(), (text, host, port) => {
        const { rules, notes } = parseNoProxy(text);
        expect(rules.length).toBeLessThanOrEqual(NO_PROXY_LIMITS.entries);
        expect(notes.length).toBeLessThanOrEqual(NO_PROXY_LIMITS.entries + 1);
        expect(typeof proxyApplies({ noProxy: rules }, host, port)).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('an exempted name is exempted whatever rules come after it', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('*.x', '10.0.0.0/8', 'a.b', '::1', 'q:1', 'bad entry')), (others) => {
        expect(applies([`.azure-devices.net`, ...others].join(','), HUB)).toBe(false);
      }),
    );
  });
});

describe('proxyFromEnvironment', () => {
  it('reads https_proxy before HTTPS_PROXY and no_proxy before NO_PROXY, an empty value as unset', () => {
    const env = {
      https_proxy: 'http://lower:3128',
      HTTPS_PROXY: 'http://upper:3128',
      no_proxy: 'lower.example',
      NO_PROXY: 'upper.example',
    };
    expect(proxyFromEnvironment({ env })).toEqual({
      settings: {
        url: 'http://lower:3128',
        host: 'lower',
        port: 3128,
        noProxy: [{ kind: 'domain', name: 'lower.example' }],
      },
      notes: [],
    });
    const upper = proxyFromEnvironment({ env: { ...env, https_proxy: '', no_proxy: ' ' } });
    expect(upper.settings).toMatchObject({ host: 'upper', noProxy: [{ kind: 'domain', name: 'upper.example' }] });
  });

  it('lets --proxy override the environment and --no-proxy turn it off', () => {
    const env = { HTTPS_PROXY: 'http://envproxy:3128' };
    expect(proxyFromEnvironment({ env, proxy: 'cliproxy:8080' }).settings).toMatchObject({ host: 'cliproxy' });
    expect(proxyFromEnvironment({ env, direct: true })).toEqual({ notes: [] });
    expect(proxyFromEnvironment({ env: {} })).toEqual({ notes: [] });
  });

  it('says why a configured proxy is unusable, without its password', () => {
    const chosen = proxyFromEnvironment({
      env: { https_proxy: 'https://u:Hunter2@proxy:3128', NO_PROXY: 'bad entry' },
    });
    expect(chosen.settings).toBeUndefined();
    expect(chosen.error).toContain('https://');
    expect(chosen.error).not.toContain('Hunter2');
    expect(chosen.notes).toHaveLength(1);
  });
});
