// `npm run demo` as a newcomer sees it: the compiled demo in a child process (the real module against the
// emulator, all on loopback), its output read as a user reads it — the snapshots printed when stdout is not
// a terminal — and its exit. Also through the CLI (`privatelink-probe demo`), and from the production
// bundle, which does not ship the demo and must say where to find it.
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Generous: the story takes a few seconds; the bound only stops a hung demo. */
const DEMO_MS = 90_000;

const HUB = 'contoso-hub.privatelink.azure-devices.net';
const BLOB = 'contosostore.privatelink.blob.core.windows.net';
const ACR_PRIVATE = 'contosoacr.privatelink.azurecr.io';
const ACR_PUBLIC = 'contosoacr.azurecr.io';

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runNode(args: string[], cwd = ROOT): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not exit within ${DEMO_MS} ms:\n${stdout}\n${stderr}`));
    }, DEMO_MS);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface Snapshot {
  text: string;
  rows: Array<{ name: string; host: string; status: string; code: string }>;
}

/** The snapshots, one per step, each with the rows of its twin table. */
function snapshots(stdout: string): Map<number, Snapshot> {
  const byStep = new Map<number, Snapshot>();
  for (const part of stdout.split(/^(?=Step \d\/4 · )/m).slice(1)) {
    const step = Number(/^Step (\d)/.exec(part)![1]);
    const lines = part.split('\n');
    const heading = lines.findIndex((l) => /^ {2}TARGET +HOST +STATUS +CODE$/.test(l));
    const rows = [];
    for (const line of lines.slice(heading + 1)) {
      const m = /^ {2}(\S+) +(\S+) +(healthy|degraded|unhealthy) +(\S+)$/.exec(line);
      if (!m) break;
      rows.push({ name: m[1]!, host: m[2]!, status: m[3]!, code: m[4]! });
    }
    byStep.set(step, { text: part, rows });
  }
  return byStep;
}

/** The acknowledgement rows of a snapshot: key → { ac, av, ad }. */
function acks(text: string): Map<string, { ac: number; av: number; ad: string }> {
  const found = [...text.matchAll(/^ {2}(\w+) +(\d{3}) +(\d+) +(.+)$/gm)];
  return new Map(found.map((m) => [m[1]!, { ac: Number(m[2]), av: Number(m[3]), ad: m[4]! }]));
}

function expectTheStory(run: Finished): void {
  expect(run.code, run.stderr).toBe(0);
  // Not a terminal: plain snapshots, no escape sequences.
  expect(run.stdout).not.toContain('\x1b[');
  const steps = snapshots(run.stdout);
  expect([...steps.keys()]).toEqual([1, 2, 3, 4]);

  expect(steps.get(1)!.rows).toEqual([{ name: 'iothub', host: HUB, status: 'healthy', code: 'OK' }]);

  const second = steps.get(2)!;
  expect(second.rows).toEqual(
    expect.arrayContaining([
      { name: 'iothub', host: HUB, status: 'healthy', code: 'OK' },
      { name: 'blob', host: BLOB, status: 'unhealthy', code: 'DNS_PUBLIC_ADDRESS' },
      { name: 'acr', host: ACR_PRIVATE, status: 'unhealthy', code: 'TLS_HOSTNAME_MISMATCH' },
    ]),
  );
  expect(second.rows).toHaveLength(3);
  // The reasons name the zone and the forwarder, and the name to configure.
  expect(second.text).toMatch(
    /^ {2}blob: .*resolves to public 203\.0\.113\.10.*privatelink\.blob\.core\.windows\.net.*forward blob\.core\.windows\.net/m,
  );
  expect(second.text).toMatch(
    new RegExp(`^ {2}acr: .*configure clients with ${ACR_PUBLIC.replaceAll('.', '\\.')}`, 'm'),
  );
  const addedAt = acks(second.text).get('targets')!;
  expect(addedAt).toMatchObject({ ac: 200, ad: 'applied' });

  const third = steps.get(3)!;
  expect(third.rows).toEqual(
    expect.arrayContaining([
      { name: 'acr', host: ACR_PUBLIC, status: 'healthy', code: 'OK' },
      { name: 'blob', host: BLOB, status: 'unhealthy', code: 'DNS_PUBLIC_ADDRESS' },
    ]),
  );
  const fixed = acks(third.text);
  expect(fixed.get('targets')).toMatchObject({ ac: 200, av: addedAt.av + 1, ad: 'applied' });
  expect(fixed.get('hostnamePolicy')).toMatchObject({ ac: 200, av: addedAt.av + 1, ad: 'applied' });
  expect(third.text).toMatch(/^ {2}acr +unhealthy +→ +healthy +OK$/m);
  expect(third.text).toMatch(
    /runId [0-9a-f-]{36} · overall unhealthy · properties schema=privatelink-probe\/result@2, overall=unhealthy/,
  );

  expect(steps.get(4)!.rows).toContainEqual({
    name: 'blob',
    host: BLOB,
    status: 'unhealthy',
    code: 'DNS_PUBLIC_ADDRESS',
  });
  expect(run.stdout.trimEnd()).toMatch(/The module has stopped \(exit code 0\).*closed\.$/);
}

// Sequential: the demo's endpoints listen on fixed ports (8883, 8443) of its own loopback addresses.
describe.sequential('npm run demo -- --once', () => {
  it(
    'tells the story — iothub OK, then blob DNS_PUBLIC_ADDRESS and acr TLS_HOSTNAME_MISMATCH, then acr OK after an acknowledged patch — and exits 0 by itself',
    async () => {
      expectTheStory(await runNode(['dist/demo/run.js', '--once']));
    },
    DEMO_MS + 5_000,
  );

  it(
    'tells the same story as `privatelink-probe demo --once`',
    async () => {
      expectTheStory(await runNode(['dist/src/cli.js', 'demo', '--once']));
    },
    DEMO_MS + 5_000,
  );

  it('rejects an unknown option with exit code 2 and the usage', async () => {
    const run = await runNode(['dist/demo/run.js', '--twice']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--twice');
    expect(run.stderr).toContain('--once');
  });

  it('from the production bundle alone, says the demo needs a source checkout and exits 2', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'plp-demo-bundle-'));
    try {
      await copyFile(path.join(ROOT, 'dist/bundle/privatelink-probe.mjs'), path.join(dir, 'privatelink-probe.mjs'));
      const run = await runNode([path.join(dir, 'privatelink-probe.mjs'), 'demo', '--once'], dir);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('the demo runs from a source checkout');
      expect(run.stderr).toContain('npm ci && npm run demo');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
