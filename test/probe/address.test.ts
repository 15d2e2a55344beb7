import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyAddress, isValidCidr, parsePrivateRanges, sameAddress } from '../../src/probe/address.js';
import { DEFAULT_PRIVATE_RANGES } from '../../src/probe/defaults.js';

const defaults = parsePrivateRanges(DEFAULT_PRIVATE_RANGES);

describe('classifyAddress with the default private ranges', () => {
  it.each([
    ['10.0.0.0', true],
    ['10.255.255.255', true],
    ['11.0.0.0', false],
    ['9.255.255.255', false],
    ['172.15.255.255', false],
    ['172.16.0.0', true],
    ['172.31.255.255', true],
    ['172.32.0.0', false],
    ['192.167.255.255', false],
    ['192.168.0.0', true],
    ['192.168.255.255', true],
    ['192.169.0.0', false],
    ['100.63.255.255', false],
    ['100.64.0.0', true],
    ['100.127.255.255', true],
    ['100.128.0.0', false],
    ['fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', false],
    ['fc00::', true],
    ['fd12:3456:789a::1', true],
    ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', true],
    ['fe00::', false],
  ])('%s is private: %s', (address, isPrivate) => {
    const result = classifyAddress(address, defaults);
    expect(result.private).toBe(isPrivate);
    expect(result.class === 'private').toBe(isPrivate);
  });

  it.each([
    ['127.0.0.1', 'loopback', 4],
    ['127.255.255.254', 'loopback', 4],
    ['::1', 'loopback', 6],
    ['169.254.169.254', 'link-local', 4],
    ['fe80::1', 'link-local', 6],
    ['fe80::1%eth0', 'link-local', 6],
    ['febf:ffff::1', 'link-local', 6],
    ['20.38.102.1', 'public', 4],
    ['2603:1030::5', 'public', 6],
    ['203.0.113.7', 'public', 4],
    ['198.51.100.1', 'public', 4],
    ['2001:db8::1', 'public', 6],
    ['0.0.0.0', 'other', 4],
    ['224.0.0.251', 'other', 4],
    ['239.255.255.250', 'other', 4],
    ['240.0.0.1', 'other', 4],
    ['255.255.255.255', 'other', 4],
    ['::', 'other', 6],
    ['ff02::1', 'other', 6],
  ] as const)('%s is %s, family %i, and not private', (address, cls, family) => {
    expect(classifyAddress(address, defaults)).toEqual({ address, family, class: cls, private: false });
  });

  it('classifies IPv4-mapped IPv6 as its IPv4 address but keeps its text and family', () => {
    expect(classifyAddress('::ffff:10.1.2.3', defaults)).toEqual({
      address: '::ffff:10.1.2.3',
      family: 6,
      class: 'private',
      private: true,
    });
    expect(classifyAddress('::FFFF:0A01:0203', defaults)).toMatchObject({ class: 'private', private: true });
    expect(classifyAddress('::ffff:127.0.0.1', defaults)).toMatchObject({ class: 'loopback', private: false });
    expect(classifyAddress('::ffff:20.38.102.1', defaults)).toMatchObject({ class: 'public', private: false });
    expect(classifyAddress('::ffff:11.0.0.0', defaults)).toMatchObject({ private: false });
  });

  it.each([
    '',
    'not-an-ip',
    'myhub.azure-devices.net',
    '127.1',
    '10.0.0.256',
    '10.0.0.0/8',
    ' 10.1.2.3',
    'fe80::1::2',
    ':::',
  ])('reads bad address text %j as other, not private, without throwing', (text) => {
    expect(classifyAddress(text, defaults)).toMatchObject({ address: text, class: 'other', private: false });
  });
});

describe('classifyAddress with configured ranges', () => {
  it('counts loopback as private when 127.0.0.0/8 is configured, keeping its finer class', () => {
    const ranges = parsePrivateRanges(['127.0.0.0/8']);
    expect(classifyAddress('127.0.0.5', ranges)).toMatchObject({ class: 'loopback', private: true });
    expect(classifyAddress('::ffff:127.0.0.5', ranges)).toMatchObject({ class: 'loopback', private: true });
  });

  it('does not count RFC 1918 as private when the configuration leaves it out', () => {
    const ranges = parsePrivateRanges(['192.168.10.0/24']);
    expect(classifyAddress('10.1.2.3', ranges)).toMatchObject({ class: 'private', private: false });
    expect(classifyAddress('192.168.10.200', ranges)).toMatchObject({ private: true });
    expect(classifyAddress('192.168.11.1', ranges)).toMatchObject({ private: false });
  });

  it('counts a public range as private when it is configured (e.g. an organisation using its own space)', () => {
    const ranges = parsePrivateRanges(['20.38.0.0/16', '2603:1030::/32']);
    expect(classifyAddress('20.38.102.1', ranges)).toMatchObject({ class: 'public', private: true });
    expect(classifyAddress('2603:1030::5', ranges)).toMatchObject({ class: 'public', private: true });
    expect(classifyAddress('2603:1031::5', ranges)).toMatchObject({ private: false });
  });

  it('matches an IPv4 address against an IPv4-mapped IPv6 range', () => {
    const ranges = parsePrivateRanges(['::ffff:10.0.0.0/104']);
    expect(ranges.cidrs).toEqual(['10.0.0.0/8']);
    expect(classifyAddress('10.9.8.7', ranges).private).toBe(true);
    expect(classifyAddress('::ffff:10.9.8.7', ranges).private).toBe(true);
    expect(classifyAddress('11.0.0.1', ranges).private).toBe(false);
  });

  it('never counts an IPv4 address inside an IPv6 range or the other way round', () => {
    const ranges = parsePrivateRanges(['::/0']);
    expect(classifyAddress('10.1.2.3', ranges).private).toBe(false);
    expect(classifyAddress('2001:db8::1', ranges).private).toBe(true);
    expect(classifyAddress('2001:db8::1', parsePrivateRanges(['0.0.0.0/0'])).private).toBe(false);
  });

  it('counts nothing as private with no ranges configured', () => {
    expect(classifyAddress('10.1.2.3', parsePrivateRanges([])).private).toBe(false);
  });
});

describe('isValidCidr and parsePrivateRanges', () => {
  it.each([
    '10.0.0.0/8',
    'fc00::/7',
    '0.0.0.0/0',
    '::/0',
    '192.168.1.1/32',
    '::1/128',
    '10.1.2.3/8',
    'FC00::/7',
    ' 10.0.0.0/8 ',
  ])('%j is a CIDR', (text) => {
    expect(isValidCidr(text)).toBe(true);
    expect(() => parsePrivateRanges([text])).not.toThrow();
  });

  it.each([
    '10.0.0.0',
    'fc00::',
    '10.0.0.0/33',
    'fc00::/129',
    '10.0.0.0/',
    '/8',
    '10.0.0.0/8/8',
    '10.0.0/8',
    '127.1/8',
    '10.0.0.0/-1',
    '10.0.0.0/+8',
    '10.0.0.0/ 8',
    '10.0.0.0/0x8',
    'fe80::%eth0/64',
    'localhost/8',
    '',
  ])('%j is not a CIDR', (text) => {
    expect(isValidCidr(text)).toBe(false);
  });

  it('throws an error naming the bad entry', () => {
    expect(() => parsePrivateRanges(['10.0.0.0/8', '10.0.0.1'])).toThrow(/"10\.0\.0\.1"/);
  });

  it('clears host bits: 10.1.2.3/8 is applied as 10.0.0.0/8', () => {
    const ranges = parsePrivateRanges(['10.1.2.3/8', 'FD12:3456::1/16']);
    expect(ranges.cidrs).toEqual(['10.0.0.0/8', 'fd12::/16']);
    expect(classifyAddress('10.200.0.1', ranges).private).toBe(true);
    expect(classifyAddress('fd12:ffff::1', ranges).private).toBe(true);
  });
});

describe('sameAddress', () => {
  it.each([
    ['2001:db8::1', '2001:0DB8:0:0:0:0:0:1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['::ffff:a01:203', '::FFFF:10.1.2.3'],
    ['10.1.2.3', '10.1.2.3'],
  ])('%s and %s are the same address', (a, b) => {
    expect(sameAddress(a, b)).toBe(true);
    expect(sameAddress(b, a)).toBe(true);
  });

  it.each([
    ['10.1.2.3', '10.1.2.4'],
    ['::1', '127.0.0.1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['0.0.0.0', '::'],
    ['bad', 'bad'],
    ['10.1.2.3', ''],
  ])('%j and %j are not the same address', (a, b) => {
    expect(sameAddress(a, b)).toBe(false);
  });
});

// --- properties ---------------------------------------------------------------------------------

function ipv4ToInt(text: string): number {
  return text.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 0xff).join('.');
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

describe('address properties', () => {
  const cidrLike = fc.oneof(
    fc.string(),
    fc
      .tuple(fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), fc.string()), fc.integer({ min: -2, max: 140 }))
      .map(([address, bits]) => `${address}/${bits}`),
    fc.tuple(fc.ipV4(), fc.string()).map(([address, tail]) => `${address}/${tail}`),
  );

  it('isValidCidr agrees with parsePrivateRanges not throwing', () => {
    fc.assert(
      fc.property(cidrLike, (text) => {
        let parsed = true;
        try {
          parsePrivateRanges([text]);
        } catch {
          parsed = false;
        }
        expect(isValidCidr(text)).toBe(parsed);
      }),
    );
  });

  it('accepts every IPv4 and IPv6 address with an in-range prefix as a CIDR', () => {
    fc.assert(fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), (a, bits) => isValidCidr(`${a}/${bits}`)));
    fc.assert(fc.property(fc.ipV6(), fc.integer({ min: 0, max: 128 }), (a, bits) => isValidCidr(`${a}/${bits}`)));
  });

  it('classifies any IPv4 inside a configured CIDR as private, and one just outside its prefix as not', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 32 }), fc.nat({ max: 0xffffffff }), (base, bits, noise) => {
        const ranges = parsePrivateRanges([`${base}/${bits}`]);
        const network = ipv4ToInt(base) & mask(bits);
        const inside = intToIpv4((network | (noise & ~mask(bits))) >>> 0);
        expect(classifyAddress(inside, ranges).private).toBe(true);
        expect(classifyAddress(`::ffff:${inside}`, ranges).private).toBe(true);
        if (bits > 0) {
          const outside = intToIpv4((ipv4ToInt(inside) ^ (1 << (32 - bits))) >>> 0);
          expect(classifyAddress(outside, ranges).private).toBe(false);
        }
      }),
    );
  });

  it('classifies an IPv4-mapped address exactly like its IPv4 address', () => {
    fc.assert(
      fc.property(fc.ipV4(), (a) => {
        const v4 = classifyAddress(a, defaults);
        const mapped = classifyAddress(`::ffff:${a}`, defaults);
        expect([mapped.class, mapped.private]).toEqual([v4.class, v4.private]);
        expect(sameAddress(a, `::ffff:${a}`)).toBe(true);
      }),
    );
  });

  it('never throws on any input, and only real addresses are ever private', () => {
    const text = fc.oneof(fc.string({ unit: 'binary' }), fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), cidrLike);
    fc.assert(
      fc.property(text, text, (a, b) => {
        const result = classifyAddress(a, defaults);
        expect(result.address).toBe(a);
        if (result.private) expect(result.class).not.toBe('other');
        sameAddress(a, b);
      }),
    );
  });
});
