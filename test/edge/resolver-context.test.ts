import fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHosts, parseResolvConf } from '../../src/edge/resolver-context.js';
import { fixture } from './support.js';

const read = (name: string) => fs.readFileSync(fixture(name), 'utf8');

describe('parseResolvConf', () => {
  it("recognises Docker's embedded resolver, its search list and ndots:0", () => {
    expect(parseResolvConf(read('docker-embedded.resolv.conf'))).toEqual({
      nameservers: ['127.0.0.11'],
      search: ['factory.local'],
      ndots: 0,
      dockerEmbedded: true,
    });
  });

  it('keeps only address nameservers, lets the last of search/domain win, and reads ndots among other options', () => {
    expect(parseResolvConf(read('host-network.resolv.conf'))).toEqual({
      nameservers: ['10.0.0.4', 'fe80::1%eth0'],
      search: ['factory.local', 'corp.example'],
      ndots: 3,
      dockerEmbedded: false,
    });
  });

  it('finds no nameserver in a file that lists none, and caps ndots at 15', () => {
    expect(parseResolvConf(read('no-nameserver.resolv.conf')).nameservers).toEqual([]);
    expect(parseResolvConf('options ndots:40').ndots).toBe(15);
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        parseResolvConf(text);
      }),
    );
  });
});

describe('parseHosts', () => {
  it('maps every name and alias, lower-cased, to its addresses and ignores comments', () => {
    const hosts = parseHosts(read('pinned.hosts'));
    expect(hosts.get('myhub.azure-devices.net')).toEqual(['10.1.2.4']);
    expect(hosts.get('myreg.azurecr.io')).toEqual(['10.1.2.9']);
    expect(hosts.has('the')).toBe(false);
    expect(hosts.get('localhost')).toEqual(['127.0.0.1']);
  });

  it('collects the addresses of a name listed on several lines and skips lines without an address', () => {
    const hosts = parseHosts('::1 localhost ip6-localhost\n127.0.0.1 localhost\nnot-an-ip name\n');
    expect(hosts.get('localhost')).toEqual(['::1', '127.0.0.1']);
    expect(hosts.has('name')).toBe(false);
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        parseHosts(text);
      }),
    );
  });
});
