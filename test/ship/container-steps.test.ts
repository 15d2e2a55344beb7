// The Dockerfile's steps without a Docker engine: the build stage's bundle step into a temporary folder,
// then exactly what the runtime stage copies, laid out at the image's paths in a stand-in root filesystem
// made read-only, and the image's ENTRYPOINT started from its WORKDIR with its ENV, as the image's user
// (uid 1000) when the tests run as root (as CI does). Nothing from the checkout is reachable from there:
// no node_modules above it, no NODE_PATH, HOME inside it. So these tests fail if the bundle needs anything
// the image does not have. Loopback addresses 127.0.0.81-99 belong to this file (landscape.ts).
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../support/emulator/index.js';
import { startLandscape, type Landscape } from '../support/landscape.js';
import { bundleStep, copies, environment, execForm, IMAGE_USERS, last, readDockerfile, ROOT } from './dockerfile.js';

const PAYLOAD_GOAL_BYTES = 5_000_000;
const HUB_HOST = 'ship-hub.privatelink.azure-devices.net';
const HUB_ADDRESS = '127.0.0.81';
const MUTE_HOST = 'ship-mute.privatelink.azure-devices.net';

const dockerfile = readDockerfile();
const buildStage = dockerfile.stages.find((s) => s.name === 'build')!;
const runtime = dockerfile.stages.at(-1)!;
const user = IMAGE_USERS[last(runtime, 'USER') ?? '']!;
const isRoot = process.getuid?.() === 0;
const version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

let work: string;
/** Stands for the runtime image's filesystem: `/app/x` in the image is `<rootfs>/app/x` here. */
let rootfs: string;
let land: Landscape;
let caFile: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'plp-container-'));
  // mkdtemp makes the folder private to root: the image's user must be able to reach the files in it.
  await chmod(work, 0o755);
  rootfs = path.join(work, 'rootfs');

  // Build stage: the bundle step, with a local folder standing for its --outdir.
  const step = bundleStep(buildStage);
  const buildOut = path.join(work, 'build');
  await promisify(execFile)(process.execPath, [step.script, '--outdir', buildOut], { cwd: ROOT });

  // Runtime stage: its COPY instructions and nothing else.
  for (const copy of copies(runtime)) {
    if (copy.from !== buildStage.name)
      throw new Error(
        `the runtime stage copies from '${copy.from ?? 'the build context'}': only COPY --from=${buildStage.name} is replayed here`,
      );
    for (const source of copy.sources) {
      const relative = path.posix.relative(step.outdir, source);
      if (relative.startsWith('..'))
        throw new Error(`COPY ${source} is outside the bundle step's output ${step.outdir}`);
      const target = copy.destination.endsWith('/')
        ? path.posix.join(copy.destination, path.posix.basename(source))
        : copy.destination;
      await mkdir(path.dirname(inRootfs(target)), { recursive: true });
      await copyFile(path.join(buildOut, relative), inRootfs(target));
    }
  }
  await makeReadOnly(rootfs);

  land = await startLandscape();
  caFile = path.join(work, 'ca.pem');
  await writeFile(caFile, land.ca.certPem, { mode: 0o444 });
  if (!isRoot) {
    console.warn(
      `container steps: not root, so the entry runs as uid ${process.getuid?.()} instead of the image's user '${last(runtime, 'USER')}' (uid ${user.uid}); CI runs as root and switches`,
    );
  }
}, 120_000);

afterAll(async () => {
  await land?.close();
  if (work) {
    await makeWritable(work);
    await rm(work, { recursive: true, force: true });
  }
});

function inRootfs(imagePath: string): string {
  return path.join(rootfs, ...imagePath.split('/'));
}

async function walk(dir: string, visit: (file: string, isDir: boolean) => Promise<void>): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) await walk(file, visit);
    await visit(file, entry.isDirectory());
  }
}

// `chmod -R a-w`: no one but root may change the tree, as in the image, where root owns /app.
async function makeReadOnly(dir: string): Promise<void> {
  await walk(dir, (file, isDir) => chmod(file, isDir ? 0o555 : 0o444));
  await chmod(dir, 0o555);
}

async function makeWritable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  await walk(dir, async (file, isDir) => {
    if (isDir) await chmod(file, 0o755);
  });
}

/** The image's ENTRYPOINT with these arguments instead of CMD, from WORKDIR, with ENV, as the image's user. */
function startEntry(args: string[], env: Record<string, string> = {}) {
  const [program, ...entryArgs] = execForm(last(runtime, 'ENTRYPOINT'));
  if (program !== 'node') throw new Error(`ENTRYPOINT runs ${program}: these steps know how to run node`);
  const child = spawn(process.execPath, [...entryArgs.map((a) => (a.startsWith('/') ? inRootfs(a) : a)), ...args], {
    cwd: inRootfs(last(runtime, 'WORKDIR') ?? '/'),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work, ...environment(runtime), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(isRoot ? user : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.once('error', reject);
    // 'close' comes after the exit and after the output streams have ended.
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  const spawned = new Promise<void>((resolve) => child.once('spawn', resolve));
  return { child, spawned, exited, output: () => stdout + stderr };
}

describe('the runtime stage', () => {
  it('copies only the bundle, within the payload goal, and nothing it needs is outside the image', async () => {
    let bytes = 0;
    const files: string[] = [];
    await walk(rootfs, async (file, isDir) => {
      if (isDir) return;
      files.push(path.relative(rootfs, file));
      bytes += (await stat(file)).size;
    });
    expect(files).toEqual([path.join('app', 'privatelink-probe.mjs')]);
    expect(bytes, `runtime payload ${(bytes / 1e6).toFixed(2)} MB`).toBeLessThanOrEqual(PAYLOAD_GOAL_BYTES);
    // Module resolution from the entry finds no node_modules: every ancestor of the stand-in root is bare.
    for (let dir = rootfs; dir !== path.dirname(dir); dir = path.dirname(dir)) {
      expect(existsSync(path.join(dir, 'node_modules')), `${dir}/node_modules`).toBe(false);
    }
  });

  it('is Latin-1 text, which V8 holds as one byte a character: one character beyond it would double its 0.9 MB in the heap', () => {
    const source = readFileSync(path.join(work, 'build', 'privatelink-probe.mjs'), 'utf8');
    expect([...new Set(source)].filter((c) => c.charCodeAt(0) > 0xff)).toEqual([]);
  });

  it('keeps demo-only code out of the bundle', () => {
    const meta = JSON.parse(readFileSync(path.join(work, 'build', 'meta.json'), 'utf8')) as {
      inputs: Record<string, unknown>;
    };
    const inputs = Object.keys(meta.inputs);
    expect(inputs.some((i) => i.startsWith('src/'))).toBe(true);
    expect(
      inputs.filter((i) => /^(test|demo|bench)\//.test(i) || /node_modules\/(aedes|@peculiar\/x509)\//.test(i)),
    ).toEqual([]);
  });
});

describe('the entry point, as the image runs it', () => {
  it('prints the check usage and exits 0 for check --help', async () => {
    const { code, stdout } = await startEntry(['check', '--help']).exited;
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: privatelink-probe check/);
  });

  it("leaves Node's bundled HTTP client (undici) unloaded: the bundle takes Node's built-ins by require", async () => {
    // An ES import of node:http reads its lazy WebSocket export, which loads undici: 15 MB resident on Node 24.
    const probe = path.join(work, 'loaded.cjs');
    await writeFile(
      probe,
      "process.on('exit', () => process.stderr.write(`loaded: ${process.moduleLoadList.filter((m) => m.includes('undici'))}\\n`));",
      { mode: 0o444 },
    );
    const { code, stderr } = await startEntry(['check', '--help'], { NODE_OPTIONS: `--require ${probe}` }).exited;
    expect(code).toBe(0);
    expect(stderr).toContain('loaded: \n');
  });

  it('checks a private endpoint on loopback: TLS on 8883 verified with the CA file, exit 0', async () => {
    await land.add({ name: 'hub', host: HUB_HOST, address: HUB_ADDRESS, fixedPorts: [8883] });
    const { code, stdout, stderr } = await startEntry([
      'check',
      '--target',
      `hub=${HUB_HOST}:8883`,
      ...land.checkArgs(caFile),
      '--timeout',
      '5000',
      '--json',
    ]).exited;
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const body = JSON.parse(stdout) as {
      overall: string;
      targets: Array<{ name: string; status: string; code: string }>;
      ports: Array<{ target: string; port: number; ok: boolean }>;
    };
    expect(body.overall).toBe('healthy');
    expect(body.targets).toMatchObject([{ name: 'hub', status: 'healthy', code: 'OK' }]);
    expect(body.ports).toMatchObject([{ target: 'hub', port: 8883, ok: true }]);
  });

  it.skipIf(!isRoot)(`runs as the image's user (uid ${user.uid}), who cannot write the working tree`, async () => {
    // A check that waits on a DNS server that never answers keeps the process alive long enough to look at.
    land.dns.setBehaviour(MUTE_HOST, 'silent');
    const run = startEntry([
      'check',
      '--hub',
      MUTE_HOST,
      '--dns-server',
      land.dns.endpoint,
      '--no-system-dns',
      '--timeout',
      '2000',
    ]);
    await run.spawned;
    // What the kernel says about the running process, not what we asked for.
    const status = readFileSync(`/proc/${run.child.pid}/status`, 'utf8');
    expect((await run.exited).code).toBe(1);
    expect(status).toMatch(new RegExp(`^Uid:\\s+${user.uid}\\s`, 'm'));
    expect(status).toMatch(new RegExp(`^Gid:\\s+${user.gid}\\s`, 'm'));
    const app = await stat(inRootfs(last(runtime, 'WORKDIR')!));
    expect(app.uid).not.toBe(user.uid);
    expect(app.mode & 0o222).toBe(0);
  });

  it('runs the default command, the module: connects to edgeHub, reports its version, sends probeResults, stops on SIGTERM', async () => {
    const emu = await startEmulator({ hubHostname: HUB_HOST, workloadTransport: 'http' });
    const run = startEntry(execForm(last(runtime, 'CMD')), {
      ...emu.moduleEnv(),
      // Never the machine's resolver: the deployment-level DNS defaults point at the loopback server.
      DNS_SERVERS: land.dns.endpoint,
      DNS_SYSTEM: 'false',
      PRIVATE_RANGES: '127.0.0.0/8',
      // Not this machine's IoT Edge configuration, should it have one.
      CONFIG_TOML_PATH: path.join(work, 'no-config.toml'),
      METRICS_PORT: '0',
    });
    try {
      const exitedEarly = run.exited.then(
        ({ code }) => new Error(`the module exited (${code}) before sending probeResults:\n${run.output()}`),
      );
      const results = await Promise.race([
        emu.waitFor(() => emu.messages.find((m) => m.output === 'probeResults'), 30_000, 'a probeResults message'),
        exitedEarly,
      ]);
      if (results instanceof Error) throw results;
      expect(results.body).toMatchObject({ moduleId: emu.identity.moduleId });
      const reported = await emu.waitFor(
        () => (emu.twin.reported as { status?: { moduleVersion?: string } }).status?.moduleVersion,
        10_000,
        'status.moduleVersion',
      );
      expect(reported).toBe(version);
      run.child.kill('SIGTERM');
      expect((await run.exited).code, run.output()).toBe(0);
    } finally {
      if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
      await run.exited.catch(() => undefined);
      await emu.close();
    }
  });
});
