import fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { imageRegistry, parseConfigToml, type EdgeRuntimeConfig } from '../../src/edge/config-toml.js';
import { CANARY, fixture, toJson } from './support.js';

function parseFixture(name: string): EdgeRuntimeConfig {
  const parsed = parseConfigToml(fs.readFileSync(fixture(name), 'utf8'));
  if ('error' in parsed) throw new Error(`fixture ${name} did not parse: ${parsed.error}`);
  expect(toJson(parsed)).not.toContain(CANARY);
  return parsed;
}

describe('parseConfigToml', () => {
  it('reads DPS provisioning: endpoint hostname, id scope and attestation method, never the symmetric key', () => {
    const config = parseFixture('dps-privatelink.toml');
    expect(config.provisioning).toEqual({
      source: 'dps',
      dpsEndpoint: 'global.privatelink.azure-devices-provisioning.net',
      idScope: '0ne00A1B2C3',
      method: 'symmetric_key',
    });
    expect(config.invalidFields).toEqual([]);
  });

  it('reads manual provisioning with iothub_hostname, the agent registry and that credentials exist, not their values', () => {
    const config = parseFixture('manual-privatelink.toml');
    expect(config.provisioning).toEqual({
      source: 'manual',
      via: 'iothub_hostname',
      iothubHostname: 'myhub.privatelink.azure-devices.net',
      deviceId: 'edge-01',
      method: 'sas',
    });
    expect(config.hostname).toBe('edge-01.factory.local');
    expect(config.agentImageRegistry).toBe('myreg.azurecr.io');
    expect(config.registryCredentials).toBe(true);
  });

  it('takes HostName and DeviceId from a connection string and drops SharedAccessKey', () => {
    const config = parseFixture('connection-string.toml');
    expect(config.provisioning).toEqual({
      source: 'manual',
      via: 'connection_string',
      iothubHostname: 'myhub.privatelink.azure-devices.net',
      deviceId: 'edge-01',
      method: 'sas',
    });
  });

  it('reads parent_hostname, the $upstream image registry and UpstreamProtocol of nested edge', () => {
    const config = parseFixture('nested.toml');
    expect(config.parentHostname).toBe('edge-parent.factory.local');
    expect(config.agentImageRegistry).toBe('$upstream');
    expect(config.upstreamProtocol).toBe('Mqtt');
    expect(config.registryCredentials).toBe(false);
  });

  it('keeps the agent proxy as scheme://host:port with the credentials stripped', () => {
    const config = parseFixture('proxy.toml');
    expect(config.proxy).toEqual({ url: 'http://proxy.factory.local:3128' });
    expect(config.upstreamProtocol).toBe('AmqpWs');
  });

  it('reports a TOML error by line and column only, even though the parser quotes the secret line', () => {
    const result = parseConfigToml(fs.readFileSync(fixture('malformed.toml'), 'utf8'));
    expect(result).toEqual({ error: expect.stringMatching(/^invalid TOML at line 9, column \d+$/), cause: 'toml' });
    expect(toJson(result)).not.toContain(CANARY);
  });

  it('records placeholders left in hostname fields without keeping their values', () => {
    const config = parseConfigToml(
      [
        'parent_hostname = "<parent>"',
        '[provisioning]',
        'source = "dps"',
        'global_endpoint = "https://<dps-endpoint>/"',
      ].join('\n'),
    );
    expect(config).toMatchObject({ invalidFields: ['provisioning.global_endpoint', 'parent_hostname'] });
    expect(toJson(config)).not.toContain('<');
  });

  it('says "missing" when there is no [provisioning] table and ignores values of the wrong type', () => {
    const config = parseConfigToml('hostname = 5\n[agent.config]\nimage = 7\n');
    expect(config).toMatchObject({
      provisioning: { source: 'missing', problem: { kind: 'missing' } },
      registryCredentials: false,
      invalidFields: ['hostname'],
    });
    expect(config).not.toHaveProperty('agentImageRegistry', expect.anything());
  });

  it('never throws and never returns a planted secret, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        parseConfigToml(text);
      }),
    );
    const secretSlots = (secret: string) =>
      [
        '[provisioning]',
        'source = "manual"',
        `connection_string = ${JSON.stringify(`HostName=h.azure-devices.net;DeviceId=d;SharedAccessKey=${secret}`)}`,
        '[provisioning.authentication]',
        `device_id_pk = { value = ${JSON.stringify(secret)} }`,
        '[agent.config.auth]',
        `password = ${JSON.stringify(secret)}`,
        '[agent.env]',
        `https_proxy = ${JSON.stringify(`http://u:${secret}@proxy:3128`)}`,
      ].join('\n');
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (suffix) => {
        const secret = `${CANARY}${suffix}`;
        expect(toJson(parseConfigToml(secretSlots(secret)))).not.toContain(CANARY);
      }),
    );
  });
});

describe('imageRegistry', () => {
  it.each([
    ['myreg.azurecr.io/azureiotedge-agent:1.5', 'myreg.azurecr.io'],
    ['mcr.microsoft.com/azureiotedge-agent:1.5', 'mcr.microsoft.com'],
    ['MyReg.AzureCR.io:443/edge/agent@sha256:abc', 'myreg.azurecr.io'],
    ['$upstream:443/azureiotedge-agent:1.5', '$upstream'],
    ['azureiotedge-agent:1.5', 'docker.io'],
    ['library/busybox', 'docker.io'],
    ['localhost:5000/agent', 'localhost'],
    ['[fd00::5]:5000/agent', 'fd00::5'],
    ['bad_host.example/agent', undefined],
  ])('%s → %s', (image, registry) => {
    expect(imageRegistry(image)).toBe(registry);
  });
});
