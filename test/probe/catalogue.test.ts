import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultPorts, describeName, isTlsPort, zonesFor } from '../../src/probe/catalogue.js';
import { KINDS, type Cloud, type Kind } from '../../src/probe/types.js';

// Written out from Azure's Private Link DNS zone table (https://learn.microsoft.com/azure/private-link/private-endpoint-dns), not derived from the implementation's table:
// [public-form name, kind, cloud, resource, public zone].
const SERVICES: readonly (readonly [string, Kind, Cloud, string, string])[] = [
  ['myhub.azure-devices.net', 'iothub', 'public', 'myhub', 'azure-devices.net'],
  ['myhub.azure-devices.cn', 'iothub', 'china', 'myhub', 'azure-devices.cn'],
  ['myhub.azure-devices.us', 'iothub', 'usgov', 'myhub', 'azure-devices.us'],
  ['myns.servicebus.windows.net', 'eventhub', 'public', 'myns', 'servicebus.windows.net'],
  ['myns.servicebus.chinacloudapi.cn', 'eventhub', 'china', 'myns', 'servicebus.chinacloudapi.cn'],
  ['myns.servicebus.usgovcloudapi.net', 'eventhub', 'usgov', 'myns', 'servicebus.usgovcloudapi.net'],
  ['myns.servicebus.windows.us', 'eventhub', 'usgov', 'myns', 'servicebus.windows.us'],
  ['global.azure-devices-provisioning.net', 'dps', 'public', 'global', 'azure-devices-provisioning.net'],
  ['global.azure-devices-provisioning.cn', 'dps', 'china', 'global', 'azure-devices-provisioning.cn'],
  ['global.azure-devices-provisioning.us', 'dps', 'usgov', 'global', 'azure-devices-provisioning.us'],
  ['mydps.azure-devices-provisioning.net', 'dps', 'public', 'mydps', 'azure-devices-provisioning.net'],
  ['mydps.azure-devices-provisioning.cn', 'dps', 'china', 'mydps', 'azure-devices-provisioning.cn'],
  ['mydps.azure-devices-provisioning.us', 'dps', 'usgov', 'mydps', 'azure-devices-provisioning.us'],
  ['myreg.azurecr.io', 'acr', 'public', 'myreg', 'azurecr.io'],
  ['myreg.azurecr.cn', 'acr', 'china', 'myreg', 'azurecr.cn'],
  ['myreg.azurecr.us', 'acr', 'usgov', 'myreg', 'azurecr.us'],
  ['myreg.westeurope.data.azurecr.io', 'acrData', 'public', 'myreg.westeurope.data', 'azurecr.io'],
  ['myreg.chinanorth3.data.azurecr.cn', 'acrData', 'china', 'myreg.chinanorth3.data', 'azurecr.cn'],
  ['myreg.usgovvirginia.data.azurecr.us', 'acrData', 'usgov', 'myreg.usgovvirginia.data', 'azurecr.us'],
  ['acct.blob.core.windows.net', 'blob', 'public', 'acct', 'blob.core.windows.net'],
  ['acct.blob.core.chinacloudapi.cn', 'blob', 'china', 'acct', 'blob.core.chinacloudapi.cn'],
  ['acct.blob.core.usgovcloudapi.net', 'blob', 'usgov', 'acct', 'blob.core.usgovcloudapi.net'],
];

function privatelinkForm(resource: string, zone: string): string {
  return `${resource}.privatelink.${zone}`;
}

describe('describeName: every service in every cloud', () => {
  it.each(SERVICES)(
    '%s is %s in the %s cloud and maps to its privatelink name',
    (name, kind, cloud, resource, zone) => {
      expect(describeName(name)).toEqual({
        host: name,
        kind,
        cloud,
        form: 'public',
        publicZone: zone,
        privateZone: `privatelink.${zone}`,
        counterpart: privatelinkForm(resource, zone),
        resource,
      });
    },
  );

  it.each(SERVICES)(
    'the privatelink form of %s (%s, %s) maps back to the public name',
    (name, kind, cloud, resource, zone) => {
      const privateName = privatelinkForm(resource, zone);
      expect(describeName(privateName)).toEqual({
        host: privateName,
        kind,
        cloud,
        form: 'privatelink',
        publicZone: zone,
        privateZone: `privatelink.${zone}`,
        counterpart: name,
        resource,
      });
    },
  );

  it.each(SERVICES)('the counterpart of the counterpart of %s is the name itself', (name) => {
    const there = describeName(name).counterpart!;
    expect(describeName(there).counterpart).toBe(name);
  });
});

describe('describeName: names that look alike', () => {
  it('tells an ACR data endpoint from the login server in both forms', () => {
    expect(describeName('myreg.azurecr.io').kind).toBe('acr');
    expect(describeName('myreg.privatelink.azurecr.io').kind).toBe('acr');
    expect(describeName('myreg.westeurope.data.azurecr.io').kind).toBe('acrData');
    expect(describeName('x.data.azurecr.io').kind).toBe('acrData');
    expect(describeName('myreg.westeurope.data.privatelink.azurecr.io')).toMatchObject({
      kind: 'acrData',
      form: 'privatelink',
      resource: 'myreg.westeurope.data',
      counterpart: 'myreg.westeurope.data.azurecr.io',
    });
  });

  it('needs a whole `data` label before the zone to call a name an ACR data endpoint', () => {
    expect(describeName('mydata.azurecr.io').kind).toBe('acr');
    expect(describeName('myreg.westeurope.database.azurecr.io').kind).toBe('acr');
    expect(describeName('data.azurecr.io')).toMatchObject({ kind: 'acr', resource: 'data' });
  });

  it('calls both the global DPS endpoint and an instance name dps', () => {
    expect(describeName('global.privatelink.azure-devices-provisioning.net')).toMatchObject({
      kind: 'dps',
      form: 'privatelink',
      resource: 'global',
      counterpart: 'global.azure-devices-provisioning.net',
    });
    expect(describeName('mydps.privatelink.azure-devices-provisioning.net')).toMatchObject({
      kind: 'dps',
      resource: 'mydps',
      counterpart: 'mydps.azure-devices-provisioning.net',
    });
  });

  it('does not mistake DPS for IoT Hub though both zones start with azure-devices', () => {
    expect(describeName('x.azure-devices-provisioning.net').kind).toBe('dps');
    expect(describeName('x.azure-devices.net').kind).toBe('iothub');
  });

  it('maps the US Gov Event Hub alias zone servicebus.windows.us within itself', () => {
    expect(describeName('ns.privatelink.servicebus.windows.us')).toMatchObject({
      kind: 'eventhub',
      cloud: 'usgov',
      counterpart: 'ns.servicebus.windows.us',
    });
  });

  it('treats the newer <hub>.device IoT Hub names by the generic rule', () => {
    expect(describeName('myhub.device.azure-devices.net')).toEqual({
      host: 'myhub.device.azure-devices.net',
      kind: 'iothub',
      cloud: 'public',
      form: 'public',
      publicZone: 'azure-devices.net',
      privateZone: 'privatelink.azure-devices.net',
      counterpart: 'myhub.device.privatelink.azure-devices.net',
      resource: 'myhub.device',
    });
  });
});

describe('describeName: custom names and IP literals', () => {
  it.each([
    'azure-devices.net',
    'privatelink.azure-devices.net',
    'privatelink.blob.core.windows.net',
    'privatelink.azurecr.io',
    '.azure-devices.net',
    'a..azure-devices.net',
    'x.privatelink.privatelink.azure-devices.net',
  ])('a zone without a proper resource, %s, is custom', (name) => {
    expect(describeName(name)).toEqual({ host: name, kind: 'custom', cloud: 'unknown', form: 'custom' });
  });

  it.each(['example.com', 'myhub.azure-devices.net.example.com', 'myhubazure-devices.net', 'localhost', ''])(
    'an unknown suffix, %j, is custom with no zones or counterpart',
    (name) => {
      expect(describeName(name)).toEqual({ host: name, kind: 'custom', cloud: 'unknown', form: 'custom' });
    },
  );

  it.each([
    ['10.1.2.3', '10.1.2.3'],
    ['::1', '::1'],
    ['FE80::1', 'fe80::1'],
    ['203.0.113.7.', '203.0.113.7'],
  ])('the IP literal %s is form ip, kind custom', (input, host) => {
    expect(describeName(input)).toEqual({ host, kind: 'custom', cloud: 'unknown', form: 'ip' });
  });

  it('normalizes case and a trailing dot in the host and the counterpart', () => {
    expect(describeName('MyHub.PrivateLink.Azure-Devices.NET.')).toMatchObject({
      host: 'myhub.privatelink.azure-devices.net',
      kind: 'iothub',
      form: 'privatelink',
      counterpart: 'myhub.azure-devices.net',
      resource: 'myhub',
    });
  });
});

describe('zonesFor', () => {
  it('gives the canonical zones of every Azure kind in every cloud', () => {
    const clouds: Cloud[] = ['public', 'china', 'usgov'];
    for (const kind of KINDS.filter((k) => k !== 'custom')) {
      for (const cloud of clouds) {
        const zones = zonesFor(kind, cloud);
        const expected = SERVICES.find(([, k, c]) => k === kind && c === cloud)!;
        expect(zones, `${kind} ${cloud}`).toEqual({
          publicZone: expected[4],
          privateZone: `privatelink.${expected[4]}`,
        });
      }
    }
  });

  it('prefers servicebus.usgovcloudapi.net to the alias for US Gov Event Hub', () => {
    expect(zonesFor('eventhub', 'usgov')?.publicZone).toBe('servicebus.usgovcloudapi.net');
  });

  it('has no zones for custom names or the unknown cloud', () => {
    expect(zonesFor('custom', 'public')).toBeUndefined();
    expect(zonesFor('iothub', 'unknown')).toBeUndefined();
  });
});

describe('defaultPorts and isTlsPort', () => {
  it.each([
    ['iothub', [8883, 5671, 443]],
    ['dps', [8883, 5671, 443]],
    ['acr', [443]],
    ['acrData', [443]],
    ['blob', [443]],
    ['eventhub', [5671, 443]],
    ['custom', [443]],
  ] as const)('%s probes %j by default', (kind, ports) => {
    expect(defaultPorts(kind)).toEqual(ports);
  });

  it('hands out a fresh array each time, so a caller cannot change the defaults', () => {
    defaultPorts('iothub').push(1);
    expect(defaultPorts('iothub')).toEqual([8883, 5671, 443]);
  });

  it('does TLS on every default port of every kind', () => {
    for (const kind of KINDS)
      for (const port of defaultPorts(kind)) expect(isTlsPort(port), `${kind} ${port}`).toBe(true);
  });

  it.each([8443, 5986, 636, 853])('does TLS on the implicit-TLS port %i', (port) => {
    expect(isTlsPort(port)).toBe(true);
  });

  it.each([80, 53, 1883, 5672, 25, 587, 389, 22])('does plain TCP on %i', (port) => {
    expect(isTlsPort(port)).toBe(false);
  });
});

describe('describeName properties', () => {
  const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?$/).filter((l) => l !== 'privatelink');
  const resource = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.'));
  const zone = fc.constantFrom(...SERVICES.map(([, , , , z]) => z));
  const form = fc.constantFrom('public', 'privatelink');

  it('maps any resource in any catalogue zone, in either form, to a counterpart that maps back', () => {
    fc.assert(
      fc.property(resource, zone, form, (res, z, f) => {
        const name = f === 'public' ? `${res}.${z}` : privatelinkForm(res, z);
        const info = describeName(name);
        expect(info.counterpart).toBeDefined();
        expect(info.form).toBe(f);
        expect(info.resource).toBe(res);
        const back = describeName(info.counterpart!);
        expect(back.counterpart).toBe(name);
        expect([back.kind, back.cloud]).toEqual([info.kind, info.cloud]);
      }),
    );
  });

  it('never throws and always returns a normalized host, whatever the input', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.tuple(fc.string(), zone).map(([s, z]) => `${s}.${z}`),
      fc.tuple(fc.string(), zone).map(([s, z]) => `${s}.privatelink.${z}.`),
      fc.domain(),
    );
    fc.assert(
      fc.property(text, (s) => {
        const info = describeName(s);
        expect(info.host).toBe(info.host.toLowerCase());
        expect(info.counterpart === undefined).toBe(info.form === 'custom' || info.form === 'ip');
      }),
    );
  });
});
