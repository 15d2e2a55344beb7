// Issue 18: the runtime audit on config.toml files shaped like the ones operators really have (the template
// copied as-is, what `iotedge config import` writes, files saved by Windows editors, hand-typed keys), each
// read from a fixture through the real reader and audited. Every case used to pass silently or wrongly.
import { describe, expect, it } from 'vitest';
import { okPort, healthyTarget, runOf, tls } from '../report/factory.js';
import { audit, findingText, ids, PRIVATE_HUB, PUBLIC_HUB, runtimeEnv } from './support.js';

describe('1. provisioning missing or unrecognised is a finding naming what is missing and the line to add', () => {
  it('the template copied as-is: no [provisioning], the manual block to add with the privatelink hub name', async () => {
    const a = await audit({ config: 'template-as-is.toml', env: {} });
    expect(a.configToml).toBe('found');
    expect(a.provisioning).toBe('not configured');
    expect(ids(a)).toEqual(['DOCKER_EMBEDDED_DNS', 'PROVISIONING_INVALID']);
    const text = findingText(a, 'PROVISIONING_INVALID');
    expect(text).toContain('has no [provisioning] section');
    expect(text).toContain('commented out');
    expect(text).toContain('source = "manual", iothub_hostname = "<hub>.privatelink.azure-devices.net"');
    expect(a.findings.find((f) => f.id === 'PROVISIONING_INVALID')?.severity).toBe('warning');
  });

  it('an empty file: the same finding, and the public name form under policy public', async () => {
    const a = await audit({ config: 'empty.toml', env: {} }, 'public');
    expect(ids(a)).toContain('PROVISIONING_INVALID');
    expect(findingText(a, 'PROVISIONING_INVALID')).toContain('iothub_hostname = "<hub>.azure-devices.net"');
  });

  it.each([
    ['provisioning-string.toml', 'a TOML string'],
    ['provisioning-array.toml', 'a TOML array of tables'],
  ])('%s: provisioning is %s, not one section', async (config, type) => {
    const a = await audit({ config, env: {} });
    expect(a.provisioning).toBe('not configured');
    expect(findingText(a, 'PROVISIONING_INVALID')).toContain(`is ${type}, not one section`);
    expect(findingText(a, 'PROVISIONING_INVALID')).toContain('[provisioning] table');
  });

  it('an upper-case source: the lower-case word to write', async () => {
    const a = await audit({ config: 'source-uppercase.toml', env: {} });
    expect(a.provisioning).toBe('unknown');
    expect(findingText(a, 'PROVISIONING_INVALID')).toContain('write source = "dps"');
  });

  it('an unknown source: the three the runtime knows, the value not echoed', async () => {
    const a = await audit({ config: 'source-unknown.toml', env: {} });
    const text = findingText(a, 'PROVISIONING_INVALID');
    expect(text).toContain('none of "manual", "dps" or "none" (value not shown)');
    expect(text).not.toContain('x509');
  });

  it('DPS without global_endpoint: the line to add, in the form the policy prescribes', async () => {
    const a = await audit({ config: 'dps-no-endpoint.toml', env: {} });
    expect(a.provisioning).toBe('dps (symmetric_key)');
    expect(findingText(a, 'PROVISIONING_INVALID')).toContain(
      'source = "dps" lacks global_endpoint, so the runtime cannot provision: add global_endpoint = "https://global.privatelink.azure-devices-provisioning.net"',
    );
  });

  it('a complete section has no such finding', async () => {
    for (const config of ['manual-privatelink.toml', 'dps-privatelink.toml', 'connection-string.toml', 'nested.toml']) {
      expect(ids(await audit({ config, env: runtimeEnv(PRIVATE_HUB) })), config).not.toContain('PROVISIONING_INVALID');
    }
  });
});

describe('2. local_gateway_hostname is the parent, as the runtime reads it', () => {
  it('the parent replaces the hub as target and NESTED_EDGE names the key that set it', async () => {
    const a = await audit({ config: 'local-gateway.toml', env: runtimeEnv(PRIVATE_HUB) });
    expect(ids(a)).toEqual(['DOCKER_EMBEDDED_DNS', 'NESTED_EDGE']);
    expect(findingText(a, 'NESTED_EDGE')).toMatch(
      /^local_gateway_hostname edge-parent\.factory\.local is set \(the runtime reads it as parent_hostname\)/,
    );
    expect(a.autoTargets).toEqual([
      { name: 'parent', host: 'edge-parent.factory.local', kind: 'custom', ports: [5671, 443], source: 'auto' },
    ]);
  });
});

describe('3. a file that is not UTF-8 is refused, as the runtime refuses it, with the encoding named', () => {
  it.each([
    ['latin1.toml', 'not UTF-8 from line 2 on: Latin-1 or another 8-bit encoding, or a stray byte'],
    ['stray-byte.toml', 'not UTF-8 from line 4 on'],
    ['utf16.toml', 'UTF-16 (as Windows Notepad saves "Unicode"), not UTF-8'],
  ])('%s: CONFIG_TOML_INVALID saying %s', async (config, reason) => {
    const a = await audit({ config, env: runtimeEnv(PRIVATE_HUB) });
    expect(a.configToml).toBe('unreadable');
    expect(ids(a)).toEqual(['CONFIG_TOML_INVALID', 'DOCKER_EMBEDDED_DNS']);
    expect(findingText(a, 'CONFIG_TOML_INVALID')).toContain(reason);
    expect(findingText(a, 'CONFIG_TOML_INVALID')).toContain('save it as UTF-8');
  });
});

describe('4. an empty [agent.config.auth] is no credentials', () => {
  it('the file `iotedge config import` writes: AGENT_REGISTRY_NO_CREDENTIALS for its private registry', async () => {
    const a = await audit({ config: 'import-empty-auth.toml', env: runtimeEnv(PRIVATE_HUB) });
    expect(ids(a)).toEqual(['AGENT_REGISTRY_NO_CREDENTIALS', 'DOCKER_EMBEDDED_DNS']);
    expect(findingText(a, 'AGENT_REGISTRY_NO_CREDENTIALS')).toContain('myreg.azurecr.io');
    // With a username and password it is quiet, as before.
    expect(ids(await audit({ config: 'manual-privatelink.toml', env: runtimeEnv(PRIVATE_HUB) }))).not.toContain(
      'AGENT_REGISTRY_NO_CREDENTIALS',
    );
  });
});

describe('5. [agent.env] keys are matched case-insensitively, as edgeAgent reads them', () => {
  it('Https_Proxy is reported (without its credentials) and upstreamProtocol decides the ports', async () => {
    const a = await audit({
      config: 'agent-env-mixed-case.toml',
      env: runtimeEnv(PRIVATE_HUB, { IOTEDGE_IOTHUBHOSTNAME: PRIVATE_HUB }),
    });
    expect(ids(a)).toEqual(['DOCKER_EMBEDDED_DNS', 'PROXY_CONFIGURED']);
    expect(findingText(a, 'PROXY_CONFIGURED')).toContain('http://proxy.factory.local:3128');
    expect(findingText(a, 'PROXY_CONFIGURED')).not.toContain('operator');
    expect(a.upstreamPorts).toEqual([443]);
  });
});

describe('7. smaller cases', () => {
  it('image = "" is no image, not one from docker.io', async () => {
    const a = await audit({ config: 'image-empty.toml', env: runtimeEnv(PRIVATE_HUB) });
    expect(ids(a)).not.toContain('AGENT_IMAGE_PUBLIC_REGISTRY');
    expect(findingText(a, 'INVALID_HOSTNAME')).toMatch(/^agent\.config\.image holds/);
  });

  it('lower-case hostname= and deviceid= in a connection string: named, not read', async () => {
    const a = await audit({ config: 'connection-string-lowercase.toml', env: {} });
    expect(a.upstream.hostname).toBeNull();
    expect(a.autoTargets).toEqual([]);
    expect(findingText(a, 'PROVISIONING_INVALID')).toContain(
      'connection_string writes HostName, DeviceId in another case, which the runtime does not read (it matches keys exactly)',
    );
  });

  it('a config.toml path that is a directory: one sentence of advice, no parentheses inside parentheses', async () => {
    const a = await audit({ config: '.', env: runtimeEnv(PRIVATE_HUB) });
    const text = findingText(a, 'CONFIG_TOML_UNREADABLE');
    expect(text).toContain('is a directory, not a file');
    expect(text).not.toMatch(/\([^)]*\(/);
  });
});

describe('7. the hub-name advice agrees with the certificate this run measured', () => {
  const address = '10.1.1.4';
  /** The hub probed by its public name on 5671, as the run reports it. */
  const hubRun = (port = okPort(address, 5671, PUBLIC_HUB)) =>
    runOf([healthyTarget('iothub', PUBLIC_HUB, { form: 'public', ports: [port] })]);

  it('without a run: the privatelink name, as the Private Link guidance prescribes', async () => {
    const a = await audit({ config: 'manual-public.toml', env: runtimeEnv(PUBLIC_HUB) });
    expect(findingText(a, 'HUB_PUBLIC_NAME')).toContain(`set iothub_hostname = "${PRIVATE_HUB}"`);
  });

  it("Azure's certificate (*.azure-devices.net) does not cover the privatelink name: keep the public name that verified", async () => {
    const a = await audit({ config: 'manual-public.toml', env: runtimeEnv(PUBLIC_HUB) }, 'privatelink', [], hubRun());
    const text = findingText(a, 'HUB_PUBLIC_NAME');
    expect(text).toContain(
      `measured on port 5671 this run, covers ${PUBLIC_HUB} and not ${PRIVATE_HUB}, so switching would fail TLS`,
    );
    expect(text).toContain(`keep ${PUBLIC_HUB}, make it resolve to the private endpoint`);
    expect(text).not.toContain(`iothub_hostname = "${PRIVATE_HUB}"`);
  });

  it('the same for the hub DPS assigned: no advice to provision manually with the privatelink name', async () => {
    const a = await audit({ config: 'dps-privatelink.toml', env: runtimeEnv(PUBLIC_HUB) }, 'privatelink', [], hubRun());
    const text = findingText(a, 'HUB_PUBLIC_NAME');
    expect(text).toContain('the public name DPS assigns');
    expect(text).toContain(`covers ${PUBLIC_HUB} and not ${PRIVATE_HUB}`);
    expect(text).not.toContain('provision manually');
  });

  it('a certificate that covers both names: the privatelink advice stands', async () => {
    const both = okPort(address, 5671, PUBLIC_HUB);
    both.tls = tls(address, 5671, PUBLIC_HUB, {
      cert: { ...both.tls!.cert!, sans: ['*.azure-devices.net', '*.privatelink.azure-devices.net'] },
    });
    const a = await audit(
      { config: 'manual-public.toml', env: runtimeEnv(PUBLIC_HUB) },
      'privatelink',
      [],
      hubRun(both),
    );
    expect(findingText(a, 'HUB_PUBLIC_NAME')).toContain(`set iothub_hostname = "${PRIVATE_HUB}" in config.toml`);
  });

  it('a handshake that verified for the privatelink name: the advice says so', async () => {
    const mismatch = okPort(address, 8883, PUBLIC_HUB);
    mismatch.tls = tls(address, 8883, PUBLIC_HUB, {
      outcome: 'hostname-mismatch',
      counterpart: { servername: PRIVATE_HUB, outcome: 'ok', ms: 9 },
    });
    const a = await audit(
      { config: 'manual-public.toml', env: runtimeEnv(PUBLIC_HUB) },
      'privatelink',
      [],
      hubRun(mismatch),
    );
    expect(findingText(a, 'HUB_PUBLIC_NAME')).toContain(
      `set iothub_hostname = "${PRIVATE_HUB}" (TLS for ${PRIVATE_HUB} verified on port 8883 this run)`,
    );
  });

  it('policy public and a certificate for the privatelink name only: keep it and set the policy', async () => {
    const port = okPort(address, 5671, PRIVATE_HUB);
    port.tls = tls(address, 5671, PRIVATE_HUB, { cert: { ...port.tls!.cert!, sans: [PRIVATE_HUB] } });
    const run = runOf([healthyTarget('iothub', PRIVATE_HUB, { ports: [port] })]);
    const a = await audit({ config: 'manual-privatelink.toml', env: runtimeEnv(PRIVATE_HUB) }, 'public', [], run);
    expect(findingText(a, 'HUB_PRIVATELINK_NAME')).toContain(
      `keep iothub_hostname = "${PRIVATE_HUB}" and set hostnamePolicy to privatelink`,
    );
  });
});
