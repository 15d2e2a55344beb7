import fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { auditEdge } from '../../src/edge/audit.js';
import { mergeTargets } from '../../src/edge/auto-targets.js';
import { readEdgeContext, type ReadFile } from '../../src/edge/read.js';
import type { TargetSpec } from '../../src/probe/types.js';
import { audit, CANARY, findingText, ids, PRIVATE_HUB, PUBLIC_HUB, runtimeEnv } from './support.js';

const EACCES: ReadFile = async (path) => {
  if (path.endsWith('.toml'))
    throw Object.assign(new Error(`EACCES: permission denied, open '${path}' ${CANARY}`), { code: 'EACCES' });
  return fs.promises.readFile(path);
};

describe('auditEdge over the config.toml fixtures (policy privatelink, Docker resolv.conf and hosts)', () => {
  it('the source document DPS example: DPS-assigned public hub, the instance-name note, no DPS warning', async () => {
    const a = await audit({ config: 'dps-privatelink.toml', env: runtimeEnv(PUBLIC_HUB) });
    expect(ids(a)).toEqual(['DOCKER_EMBEDDED_DNS', 'DPS_INSTANCE_NAME', 'HUB_PUBLIC_NAME']);
    expect(a.configToml).toBe('found');
    expect(a.provisioning).toBe('dps (symmetric_key)');
    expect(findingText(a, 'HUB_PUBLIC_NAME')).toContain('DPS');
    expect(findingText(a, 'DPS_INSTANCE_NAME')).toContain('<dps>.azure-devices-provisioning.net');
    expect(findingText(a, 'DPS_INSTANCE_NAME')).toContain('global.privatelink.azure-devices-provisioning.net');
    expect(a.autoTargets).toEqual([
      { name: 'iothub', host: PUBLIC_HUB, kind: 'iothub', ports: [5671, 443], source: 'auto' },
      {
        name: 'dps',
        host: 'global.privatelink.azure-devices-provisioning.net',
        kind: 'dps',
        ports: [443],
        source: 'auto',
      },
    ]);
    expect(a.upstream).toEqual({
      hostname: PUBLIC_HUB,
      form: 'public',
      policyOk: false,
      gateway: 'edge-01.factory.local',
    });
    expect(a.resolvers).toEqual(['127.0.0.11']);
    expect(a.upstreamPorts).toEqual([5671, 443]);
  });

  it('DPS with the public global endpoint and the agent from mcr.microsoft.com: both warned with their fix', async () => {
    const a = await audit({ config: 'dps-public.toml', env: runtimeEnv(PUBLIC_HUB) });
    expect(ids(a)).toEqual([
      'AGENT_IMAGE_PUBLIC_REGISTRY',
      'DOCKER_EMBEDDED_DNS',
      'DPS_GLOBAL_ENDPOINT_PUBLIC',
      'DPS_INSTANCE_NAME',
      'HUB_PUBLIC_NAME',
    ]);
    expect(findingText(a, 'DPS_GLOBAL_ENDPOINT_PUBLIC')).toContain(
      'global_endpoint = "https://global.privatelink.azure-devices-provisioning.net"',
    );
    expect(findingText(a, 'AGENT_IMAGE_PUBLIC_REGISTRY')).toMatch(/mcr\.microsoft\.com.*ACR/);
    expect(a.findings.find((f) => f.id === 'AGENT_IMAGE_PUBLIC_REGISTRY')?.severity).toBe('warning');
    expect(a.autoTargets.map((t) => [t.name, t.host])).toEqual([
      ['iothub', PUBLIC_HUB],
      ['dps', 'global.azure-devices-provisioning.net'],
    ]);
  });

  it('the source document manual example with a private ACR: nothing to fix, registry probed', async () => {
    const a = await audit({ config: 'manual-privatelink.toml', env: runtimeEnv(PRIVATE_HUB) });
    expect(ids(a)).toEqual(['DOCKER_EMBEDDED_DNS']);
    expect(a.provisioning).toBe('manual (sas)');
    expect(a.upstream).toEqual({
      hostname: PRIVATE_HUB,
      form: 'privatelink',
      policyOk: true,
      gateway: 'edge-01.factory.local',
    });
    expect(a.autoTargets).toEqual([
      { name: 'iothub', host: PRIVATE_HUB, kind: 'iothub', ports: [5671, 443], source: 'auto' },
      { name: 'registry', host: 'myreg.azurecr.io', kind: 'acr', source: 'auto' },
    ]);
  });

  it('the manual example with the public hub name: HUB_PUBLIC_NAME names the privatelink name to set', async () => {
    const a = await audit({ config: 'manual-public.toml', env: runtimeEnv(PUBLIC_HUB) });
    expect(ids(a)).toEqual(['DOCKER_EMBEDDED_DNS', 'HUB_PUBLIC_NAME']);
    expect(findingText(a, 'HUB_PUBLIC_NAME')).toContain(`iothub_hostname = "${PRIVATE_HUB}"`);
    expect(a.findings.find((f) => f.id === 'HUB_PUBLIC_NAME')?.severity).toBe('warning');
    expect(a.upstream.policyOk).toBe(false);
    expect(a.autoTargets).toEqual([
      { name: 'iothub', host: PUBLIC_HUB, kind: 'iothub', ports: [5671, 443], source: 'auto' },
    ]);
  });

  it('a connection-string config: provisioning says so, the hub comes from its HostName', async () => {
    const a = await audit({ config: 'connection-string.toml', env: {} });
    expect(ids(a)).toEqual(['DOCKER_EMBEDDED_DNS']);
    expect(a.provisioning).toBe('manual (connection string)');
    expect(a.upstream).toEqual({ hostname: PRIVATE_HUB, form: 'privatelink', policyOk: true, gateway: null });
    expect(a.autoTargets.map((t) => t.host)).toEqual([PRIVATE_HUB]);
  });

  it('nested edge: the parent replaces the hub as target, on the MQTT port plus 443 for image pulls', async () => {
    const a = await audit({ config: 'nested.toml', env: runtimeEnv(PRIVATE_HUB) });
    expect(ids(a)).toEqual(['DOCKER_EMBEDDED_DNS', 'NESTED_EDGE']);
    expect(a.findings.find((f) => f.id === 'NESTED_EDGE')?.severity).toBe('info');
    expect(findingText(a, 'NESTED_EDGE')).toContain('edge-parent.factory.local');
    expect(a.autoTargets).toEqual([
      { name: 'parent', host: 'edge-parent.factory.local', kind: 'custom', ports: [8883, 443], source: 'auto' },
    ]);
    expect(a.upstreamPorts).toEqual([8883]);
    expect(a.upstream.hostname).toBe(PRIVATE_HUB);
  });

  it('a proxy with credentials in the agent env: reported without them, probes said to go direct', async () => {
    const a = await audit({ config: 'proxy.toml', env: runtimeEnv(PRIVATE_HUB) });
    expect(ids(a)).toEqual(['DOCKER_EMBEDDED_DNS', 'PROXY_CONFIGURED']);
    expect(findingText(a, 'PROXY_CONFIGURED')).toContain('http://proxy.factory.local:3128');
    expect(findingText(a, 'PROXY_CONFIGURED')).toMatch(
      /its DNS, not this device's, decides.*goes through the proxy on 443/,
    );
    expect(findingText(a, 'PROXY_CONFIGURED')).not.toContain('operator');
    expect(a.upstreamPorts).toEqual([443]);
    expect(a.autoTargets.map((t) => [t.name, t.ports])).toEqual([
      ['iothub', [443]],
      ['registry', undefined],
    ]);
  });

  it('malformed TOML with a secret on the broken line: a warning with line and column, nothing of the line', async () => {
    const a = await audit({ config: 'malformed.toml', env: runtimeEnv(PRIVATE_HUB) });
    expect(a.configToml).toBe('unreadable');
    expect(a.provisioning).toBe('unknown');
    expect(ids(a)).toEqual(['CONFIG_TOML_INVALID', 'DOCKER_EMBEDDED_DNS']);
    expect(findingText(a, 'CONFIG_TOML_INVALID')).toMatch(/line 9, column \d+/);
    expect(findingText(a, 'CONFIG_TOML_INVALID')).not.toContain('device_id_pk');
    expect(a.findings.find((f) => f.id === 'CONFIG_TOML_INVALID')?.severity).toBe('warning');
    expect(a.autoTargets.map((t) => t.host)).toEqual([PRIVATE_HUB]);
  });

  it('an unreadable file (EACCES): a warning naming the cause, never the error message', async () => {
    const a = await audit({ config: 'manual-privatelink.toml', env: runtimeEnv(PRIVATE_HUB), readFile: EACCES });
    expect(a.configToml).toBe('unreadable');
    expect(ids(a)).toEqual(['CONFIG_TOML_UNREADABLE', 'DOCKER_EMBEDDED_DNS']);
    expect(findingText(a, 'CONFIG_TOML_UNREADABLE')).toContain('permission denied');
    expect(a.autoTargets.map((t) => t.name)).toEqual(['iothub']);
  });

  it('a missing file: not-mounted, an info naming the bind mount, targets from the environment', async () => {
    const a = await audit({ config: 'no-such-config.toml', env: runtimeEnv(PRIVATE_HUB) });
    expect(a.configToml).toBe('not-mounted');
    expect(a.provisioning).toBe('unknown');
    expect(ids(a)).toEqual(['CONFIG_TOML_NOT_MOUNTED', 'DOCKER_EMBEDDED_DNS']);
    expect(findingText(a, 'CONFIG_TOML_NOT_MOUNTED')).toContain('/etc/aziot/config.toml:');
    expect(a.findings[0]?.severity).toBe('info');
    expect(a.autoTargets.map((t) => t.host)).toEqual([PRIVATE_HUB]);
  });

  it('a config.toml path that is a directory (Docker created the mount point) is unreadable, not missing', async () => {
    const a = await audit({ config: '.', env: runtimeEnv(PRIVATE_HUB) });
    expect(a.configToml).toBe('unreadable');
    expect(findingText(a, 'CONFIG_TOML_UNREADABLE')).toContain('directory');
  });
});

describe('auditEdge: hostname policy', () => {
  it('policy public flags privatelink hub and DPS names, with the public name as the fix', async () => {
    const manual = await audit({ config: 'manual-privatelink.toml', env: runtimeEnv(PRIVATE_HUB) }, 'public');
    expect(ids(manual)).toEqual(['DOCKER_EMBEDDED_DNS', 'HUB_PRIVATELINK_NAME']);
    expect(findingText(manual, 'HUB_PRIVATELINK_NAME')).toContain(`iothub_hostname = "${PUBLIC_HUB}"`);
    expect(manual.upstream.policyOk).toBe(false);
    const dps = await audit({ config: 'dps-privatelink.toml', env: runtimeEnv(PUBLIC_HUB) }, 'public');
    expect(ids(dps)).toEqual(['DOCKER_EMBEDDED_DNS', 'DPS_PRIVATELINK_ENDPOINT']);
    expect(dps.upstream.policyOk).toBe(true);
  });

  it('policy any accepts every name form', async () => {
    const a = await audit({ config: 'dps-public.toml', env: runtimeEnv(PUBLIC_HUB) }, 'any');
    expect(ids(a)).toEqual(['DOCKER_EMBEDDED_DNS']);
    expect(a.upstream.policyOk).toBe(true);
  });

  it('env and config.toml naming different hubs: HUB_NAME_MISMATCH, and the public one flagged', async () => {
    const a = await audit({ config: 'manual-public.toml', env: runtimeEnv(PRIVATE_HUB) });
    expect(ids(a)).toEqual(['DOCKER_EMBEDDED_DNS', 'HUB_NAME_MISMATCH', 'HUB_PUBLIC_NAME']);
    expect(findingText(a, 'HUB_NAME_MISMATCH')).toContain('iotedge config apply');
    expect(a.upstream).toMatchObject({ hostname: PRIVATE_HUB, policyOk: true });
  });

  it('an IP literal as hub: an error saying TLS cannot verify, form ip', async () => {
    const a = await audit({ config: 'no-such-config.toml', env: runtimeEnv('10.1.2.4') });
    expect(a.findings.find((f) => f.id === 'UPSTREAM_IP_ADDRESS')).toMatchObject({ severity: 'error' });
    expect(findingText(a, 'UPSTREAM_IP_ADDRESS')).toContain('TLS');
    expect(a.upstream).toMatchObject({ hostname: '10.1.2.4', form: 'ip', policyOk: false });
  });

  it('a hub name outside the IoT Hub zones is flagged unless the policy is any', async () => {
    const a = await audit({ config: 'no-such-config.toml', env: runtimeEnv('hub.factory.local') });
    expect(ids(a)).toContain('HUB_CUSTOM_NAME');
    expect(a.upstream).toMatchObject({ form: 'custom', policyOk: false });
    const any = await audit({ config: 'no-such-config.toml', env: runtimeEnv('hub.factory.local') }, 'any');
    expect(ids(any)).not.toContain('HUB_CUSTOM_NAME');
  });

  it('with neither env nor config.toml: upstream unknown, no hub target', async () => {
    const a = await audit({ config: 'no-such-config.toml', env: {} });
    expect(a.upstream).toEqual({ hostname: null, form: 'unknown', policyOk: true, gateway: null });
    expect(a.autoTargets).toEqual([]);
  });
});

describe('auditEdge: module environment', () => {
  it('reads the hub from EdgeHubConnectionString when IOTEDGE_IOTHUBHOSTNAME is absent, never its key', async () => {
    const a = await audit({
      config: 'no-such-config.toml',
      env: { EdgeHubConnectionString: `HostName=${PRIVATE_HUB};DeviceId=d;ModuleId=m;SharedAccessKey=${CANARY}` },
    });
    expect(a.upstream.hostname).toBe(PRIVATE_HUB);
  });

  it('an unrecognised UpstreamProtocol is a warning and the default ports apply', async () => {
    const a = await audit({
      config: 'manual-privatelink.toml',
      env: runtimeEnv(PRIVATE_HUB, { UpstreamProtocol: 'Http' }),
    });
    expect(ids(a)).toContain('UPSTREAM_PROTOCOL_UNRECOGNISED');
    expect(a.upstreamPorts).toEqual([5671, 443]);
  });

  it("the module's UpstreamProtocol wins over config.toml's agent env", async () => {
    const a = await audit({ config: 'proxy.toml', env: runtimeEnv(PRIVATE_HUB, { UpstreamProtocol: 'Mqtt' }) });
    expect(a.upstreamPorts).toEqual([8883]);
  });

  it('a proxy in the module env is reported without credentials', async () => {
    const a = await audit({
      config: 'manual-privatelink.toml',
      env: runtimeEnv(PRIVATE_HUB, { https_proxy: `http://me:${CANARY}@10.0.0.8:8080` }),
    });
    expect(findingText(a, 'PROXY_CONFIGURED')).toContain('http://10.0.0.8:8080');
  });

  it('placeholders left in hostname fields: INVALID_HOSTNAME names the fields, not the values', async () => {
    const readFile: ReadFile = async (path) =>
      path.endsWith('.toml')
        ? `[provisioning]\nsource = "manual"\niothub_hostname = "<hubname>.privatelink.azure-devices.net"\n`
        : fs.promises.readFile(path);
    const a = await audit({ config: 'x.toml', env: { IOTEDGE_IOTHUBHOSTNAME: `${CANARY}!` }, readFile });
    expect(findingText(a, 'INVALID_HOSTNAME')).toMatch(
      /^provisioning\.iothub_hostname, IOTEDGE_IOTHUBHOSTNAME hold no valid hostname/,
    );
    expect(findingText(a, 'INVALID_HOSTNAME')).not.toContain('<hubname>.privatelink');
    expect(a.autoTargets).toEqual([]);
  });
});

describe('auditEdge: resolver context', () => {
  it('no nameserver in resolv.conf is an error: no resolver reachable', async () => {
    const a = await audit({
      config: 'manual-privatelink.toml',
      env: runtimeEnv(PRIVATE_HUB),
      resolv: 'no-nameserver.resolv.conf',
    });
    expect(a.findings.find((f) => f.id === 'NO_RESOLVER')).toMatchObject({ severity: 'error' });
    expect(ids(a)).not.toContain('DOCKER_EMBEDDED_DNS');
    expect(a.resolvers).toEqual([]);
  });

  it("host resolvers are listed and Docker's embedded one is not claimed", async () => {
    const a = await audit({
      config: 'manual-privatelink.toml',
      env: runtimeEnv(PRIVATE_HUB),
      resolv: 'host-network.resolv.conf',
    });
    expect(ids(a)).toEqual([]);
    expect(a.resolvers).toEqual(['10.0.0.4', 'fe80::1%eth0']);
  });

  it('pins of a target name or its counterpart in /etc/hosts are a warning; other entries are not', async () => {
    const desired: TargetSpec[] = [{ name: 'blob', host: 'acct.blob.core.windows.net', source: 'desired' }];
    const a = await audit(
      { config: 'manual-privatelink.toml', env: runtimeEnv(PRIVATE_HUB), hosts: 'pinned.hosts' },
      'privatelink',
      desired,
    );
    const pinned = a.findings.find((f) => f.id === 'HOSTS_PINNED');
    expect(pinned?.severity).toBe('warning');
    expect(pinned?.text).toContain('myhub.azure-devices.net → 10.1.2.4');
    expect(pinned?.text).toContain('myreg.azurecr.io → 10.1.2.9');
    expect(pinned?.text).not.toContain('unrelated');
    expect(pinned?.text).not.toContain('3f2a9c1b7d10');
  });

  it('a desired target pinned in /etc/hosts is found too', async () => {
    const desired: TargetSpec[] = [{ name: 'local', host: 'unrelated.factory.local', source: 'desired' }];
    const a = await audit({ config: 'no-such-config.toml', env: {}, hosts: 'pinned.hosts' }, 'privatelink', desired);
    expect(findingText(a, 'HOSTS_PINNED')).toContain('unrelated.factory.local → 10.1.2.10');
  });

  it('a long list of pins is cut to 512 bytes', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `t${i}.privatelink.blob.core.windows.net`);
    const readFile: ReadFile = async (path) =>
      path.endsWith('hosts') ? many.map((h, i) => `10.9.0.${i} ${h}`).join('\n') : fs.promises.readFile(path);
    const desired = many.map((host, i) => ({ name: `t${i}`, host }));
    const a = await audit(
      { config: 'no-such-config.toml', env: {}, hosts: 'x.hosts', readFile },
      'privatelink',
      desired,
    );
    expect(Buffer.byteLength(findingText(a, 'HOSTS_PINNED'))).toBeLessThanOrEqual(512);
    expect(findingText(a, 'HOSTS_PINNED').endsWith('…')).toBe(true);
  });

  it('missing resolv.conf and hosts are no findings', async () => {
    const a = await audit({
      config: 'manual-privatelink.toml',
      env: runtimeEnv(PRIVATE_HUB),
      resolv: 'none',
      hosts: 'none',
    });
    expect(ids(a)).toEqual([]);
  });
});

describe('readEdgeContext', () => {
  it('takes the config.toml path from CONFIG_TOML_PATH when none is given', async () => {
    const seen: string[] = [];
    const readFile: ReadFile = async (path) => {
      seen.push(path);
      throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    };
    const ctx = await readEdgeContext({ env: { CONFIG_TOML_PATH: '/mnt/aziot/config.toml' }, readFile });
    expect(ctx.configTomlPath).toBe('/mnt/aziot/config.toml');
    expect(seen).toContain('/mnt/aziot/config.toml');
    expect(seen).toEqual(expect.arrayContaining(['/etc/resolv.conf', '/etc/hosts']));
    expect(ctx.configToml).toEqual({ state: 'not-mounted' });
  });

  it('defaults to /etc/aziot/config.toml', async () => {
    const readFile: ReadFile = async () => {
      throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    };
    expect((await readEdgeContext({ env: {}, readFile })).configTomlPath).toBe('/etc/aziot/config.toml');
  });

  it('arbitrary file contents never make reading or auditing throw, and texts stay twin-safe', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 300 }),
        fc.string({ maxLength: 300 }),
        fc.string({ maxLength: 300 }),
        async (toml, resolv, hosts) => {
          const files: Record<string, string> = { '/c.toml': toml, '/resolv.conf': resolv, '/hosts': hosts };
          const readFile: ReadFile = async (path) => files[path] ?? '';
          const ctx = await readEdgeContext({
            configTomlPath: '/c.toml',
            resolvConfPath: '/resolv.conf',
            hostsPath: '/hosts',
            env: {},
            readFile,
          });
          for (const policy of ['privatelink', 'public', 'any'] as const) {
            const a = auditEdge(ctx, { hostnamePolicy: policy, targets: [] });
            for (const f of a.findings) expect(Buffer.byteLength(f.text)).toBeLessThanOrEqual(512);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('mergeTargets', () => {
  const auto: TargetSpec[] = [
    { name: 'iothub', host: PRIVATE_HUB, kind: 'iothub', ports: [5671, 443], source: 'auto' },
    {
      name: 'dps',
      host: 'global.privatelink.azure-devices-provisioning.net',
      kind: 'dps',
      ports: [443],
      source: 'auto',
    },
    { name: 'registry', host: 'myreg.azurecr.io', kind: 'acr', source: 'auto' },
  ];

  it('a desired target replaces the automatic one of the same name, in its place', () => {
    const hub: TargetSpec = { name: 'iothub', host: PUBLIC_HUB, ports: [8883], source: 'desired' };
    expect(mergeTargets(auto, [hub]).map((t) => [t.name, t.host])).toEqual([
      ['iothub', PUBLIC_HUB],
      ['dps', 'global.privatelink.azure-devices-provisioning.net'],
      ['registry', 'myreg.azurecr.io'],
    ]);
  });

  it('an automatic target whose host a desired one probes is dropped; other desired targets follow', () => {
    const desired: TargetSpec[] = [
      { name: 'acr', host: 'MyReg.azurecr.io.', source: 'desired' },
      { name: 'blob', host: 'acct.blob.core.windows.net', source: 'desired' },
    ];
    expect(mergeTargets(auto, desired).map((t) => t.name)).toEqual(['iothub', 'dps', 'acr', 'blob']);
  });

  it('without desired targets the automatic ones stay as they are', () => {
    expect(mergeTargets(auto, [])).toEqual(auto);
  });
});
