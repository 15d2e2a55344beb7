// Lists from desired properties are capped where they are read: every item is work in each run (a DNS
// server is asked about every target, a port is a connection), so a longer list is rejected with the cap
// named — the document gets ac 400 and the last good configuration keeps running — never silently cut.
import { describe, expect, it } from 'vitest';
import { LIST_LIMITS } from '../../src/config/lists.js';
import type { DesiredDoc } from '../../src/config/model.js';
import { validateDesired } from '../../src/config/validate.js';

const servers = (n: number) => Array.from({ length: n }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
const ranges = (n: number) => Array.from({ length: n }, (_, i) => `10.${i}.0.0/16`);
const ports = (n: number) => Array.from({ length: n }, (_, i) => 1000 + i);
const addresses = servers;

const CASES: Array<
  [
    path: string,
    limit: number,
    doc: (items: Array<string | number> | string) => DesiredDoc,
    items: (n: number) => Array<string | number>,
  ]
> = [
  ['dns.servers', LIST_LIMITS.dnsServers, (items) => ({ dns: { servers: items } }), servers],
  ['dns.privateRanges', LIST_LIMITS.privateRanges, (items) => ({ dns: { privateRanges: items } }), ranges],
  [
    'targets.acr.ports',
    LIST_LIMITS.ports,
    (items) => ({ targets: { acr: { host: 'r.privatelink.azurecr.io', ports: items } } }),
    ports,
  ],
  [
    'targets.acr.expectedAddresses',
    LIST_LIMITS.expectedAddresses,
    (items) => ({ targets: { acr: { host: 'r.privatelink.azurecr.io', expectedAddresses: items } } }),
    addresses,
  ],
];

describe('list caps in desired properties', () => {
  it.each(CASES)('%s takes %i items, as an array or a comma-separated string', (_, limit, doc, items) => {
    expect(validateDesired(doc(items(limit))).ok).toBe(true);
    expect(validateDesired(doc(items(limit).join(','))).ok).toBe(true);
  });

  it.each(CASES)('%s with one item more than %i is rejected with the cap named', (path, limit, doc, items) => {
    for (const value of [items(limit + 1), items(limit + 1).join(',')]) {
      const result = validateDesired(doc(value));
      expect(result).toMatchObject({
        ok: false,
        errors: [{ path, message: `has ${limit + 1} items, at most ${limit}` }],
      });
    }
  });

  it.each(CASES)(
    '%s with thousands of items is rejected before they are read one by one',
    (path, limit, doc, items) => {
      const result = validateDesired(doc(items(4000)));
      expect(result).toMatchObject({ ok: false, errors: [{ path, message: `has 4000 items, at most ${limit}` }] });
    },
  );

  it('a comma-separated string longer than a twin string is rejected before it is split', () => {
    const result = validateDesired({ dns: { servers: servers(4000).join(',') } });
    expect(result).toMatchObject({
      ok: false,
      errors: [{ path: 'dns.servers', message: expect.stringMatching(/^is too long: \d+ bytes, at most 512$/) }],
    });
  });
});
