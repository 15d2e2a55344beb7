// `privatelink-probe check` as users run it: the built CLI in a child process, against the loopback
// landscape (DNS server and TLS endpoints). Exit codes, the table and the JSON body are the contract.
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLandscape, type Landscape } from '../support/landscape.js';
import { CLI_ENTRY } from '../support/module-process.js';
import { resultBodyKeysWithout } from '../report/factory.js';

const run = promisify(execFile);
let land: Landscape;
let fixture: string[];

beforeAll(async () => {
  land = await startLandscape();
  await land.add({
    name: 'hub',
    host: 'cli-hub.privatelink.azure-devices.net',
    address: '127.0.0.61',
    fixedPorts: [8883, 5671],
  });
  await land.add({
    name: 'blob',
    host: 'clistore.privatelink.blob.core.windows.net',
    address: '127.0.0.62',
    dnsAnswer: '203.0.113.10',
  });
  await land.add({
    name: 'acr',
    host: 'clireg.privatelink.azurecr.io',
    address: '127.0.0.63',
    fixedPorts: [8883],
    certificate: 'public-name-only',
  });
  // A hub whose certificate covers its public name only, as Azure's (*.azure-devices.net) does.
  await land.add({
    name: 'iothub',
    host: 'myhub.privatelink.azure-devices.net',
    address: '127.0.0.64',
    fixedPorts: [5671],
    certificate: 'public-name-only',
  });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'plp-cli-'));
  const caFile = path.join(dir, 'ca.pem');
  await writeFile(caFile, land.ca.certPem);
  fixture = [...land.checkArgs(caFile), '--timeout', '1000'];
});
afterAll(() => land.close());

async function check(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI_ENTRY, 'check', ...args], {
      env: { PATH: process.env.PATH ?? '' },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('privatelink-probe check', () => {
  it('exits 0 and prints a row per port when every target is healthy', async () => {
    const r = await check(['--target', 'iothub=cli-hub.privatelink.azure-devices.net:8883,5671', ...fixture]);
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('iothub'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^iothub\s+cli-hub\.privatelink\.azure-devices\.net\s+8883\s+healthy\s+OK\s+127\.0\.0\.61/);
    // The last column: what answered the exchange after TLS.
    expect(rows[0]).toMatch(/\smqtt ok CONNACK \d+$/);
    expect(rows[1]).toMatch(/\samqp ok AMQP header .+$/);
    expect(r.stdout).toContain('overall healthy');
    expect(r.stdout).not.toContain('\x1b['); // no colour when not on a terminal
    expect(r.stdout).not.toContain('CONFIG_TOML_NOT_MOUNTED'); // config.toml is audited only when asked for
  });

  it('exits 1 and names each broken link and its fix', async () => {
    const r = await check([
      '--hub',
      'cli-hub.privatelink.azure-devices.net',
      '--blob',
      'clistore.privatelink.blob.core.windows.net',
      '--target',
      'acr=clireg.privatelink.azurecr.io:8883',
      ...fixture,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/blob\s+clistore\S+\s+443\s+unhealthy\s+DNS_PUBLIC_ADDRESS/);
    expect(r.stdout).toContain('blob: clistore.privatelink.blob.core.windows.net resolves to public 203.0.113.10');
    expect(r.stdout).toMatch(/acr\s+clireg\S+\s+8883\s+unhealthy\s+TLS_HOSTNAME_MISMATCH/);
    expect(r.stdout).toContain('configure clients with clireg.azurecr.io');
    expect(r.stdout).toContain('overall unhealthy');
  });

  it('prints the telemetry body with --json', async () => {
    const r = await check([
      '--hub',
      'cli-hub.privatelink.azure-devices.net',
      '--blob',
      'clistore.privatelink.blob.core.windows.net',
      '--json',
      ...fixture,
    ]);
    expect(r.code).toBe(1);
    const body = JSON.parse(r.stdout);
    // No device or module ids outside IoT Edge: left out, not null.
    expect(Object.keys(body)).toEqual(resultBodyKeysWithout('deviceId', 'moduleId'));
    expect(body).toMatchObject({ schema: 'privatelink-probe/result@2', overall: 'unhealthy' });
    const blob = body.targets.find((t: { name: string }) => t.name === 'blob');
    expect(blob).toMatchObject({ kind: 'blob', cloud: 'public', status: 'unhealthy', code: 'DNS_PUBLIC_ADDRESS' });
    expect(blob.addresses).toEqual([{ address: '203.0.113.10', family: 4, class: 'public', private: false }]);
    const counterpart = body.answers.find(
      (a: { target: string; counterpart?: boolean }) => a.target === 'blob' && a.counterpart,
    );
    expect(counterpart.cname).toEqual(['clistore.privatelink.blob.core.windows.net']);
  });

  it('audits a config.toml given with --config-toml and probes the hub it names', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'plp-toml-'));
    const file = path.join(dir, 'config.toml');
    await writeFile(
      file,
      '[provisioning]\nsource = "manual"\niothub_hostname = "cli-hub.azure-devices.net"\ndevice_id = "d1"\n\n[provisioning.authentication]\nmethod = "sas"\ndevice_id_pk = { value = "CANARY-SECRET-cli" }\n',
    );
    const r = await check(['--config-toml', file, '--json', ...fixture]);
    const body = JSON.parse(r.stdout);
    expect(body.edge.findings.map((f: { id: string }) => f.id)).toContain('HUB_PUBLIC_NAME');
    expect(body.targets.map((t: { host: string }) => t.host)).toContain('cli-hub.azure-devices.net');
    expect(r.stdout + r.stderr).not.toContain('CANARY-SECRET-cli');
    expect(r.code).toBe(1);
  });

  it("advises keeping the hub's public name when its certificate, measured in this run, does not cover the privatelink one", async () => {
    const r = await check([
      '--config-toml',
      path.resolve('test/edge/fixtures/manual-public-amqp.toml'),
      '--json',
      ...fixture,
    ]);
    const body = JSON.parse(r.stdout);
    const hub = body.targets.find((t: { name: string }) => t.name === 'iothub');
    expect(hub).toMatchObject({ host: 'myhub.azure-devices.net', code: 'HOSTNAME_POLICY' });
    expect(body.ports.find((p: { target: string }) => p.target === 'iothub')).toMatchObject({ port: 5671, ok: true });
    const advice = body.edge.findings.find((f: { id: string }) => f.id === 'HUB_PUBLIC_NAME').text;
    expect(advice).toContain(
      'measured on port 5671 this run, covers myhub.azure-devices.net and not myhub.privatelink.azure-devices.net, so switching would fail TLS',
    );
    expect(advice).toContain('keep myhub.azure-devices.net');
    expect(advice).not.toContain('iothub_hostname = "myhub.privatelink.azure-devices.net"');
  });

  it('exits 2 with the usage text for bad arguments, and 0 for --help', async () => {
    for (const args of [
      [],
      ['--hub'],
      ['--hub', 'x', '--timeout', 'soon'],
      ['--bogus'],
      ['--config-toml', '/no/such/file.toml'],
    ]) {
      const r = await check(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('Usage: privatelink-probe check');
    }
    const help = await check(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--dns-server');
  });
});
