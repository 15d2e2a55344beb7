// The container tier: the amd64 image, built from Dockerfile.amd64 by podman (buildah) on a local
// Node base image of the same Node major as the Dockerfile's, and run by runc the way edgeAgent runs a module:
// read-only root, every capability dropped, no new privileges, uid 1000, no host port, the workload socket
// bind-mounted read-only, stopped with SIGTERM. Everything it talks to (the edgeHub emulator, a DNS server,
// TLS private endpoints) listens on the loopback of a namespace the test made, and the containers join it.
// What it prints: the image's size and what its runtime stage adds to the base; memory after a minute of runs.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TelemetryBody } from '../../src/report/telemetry.js';
import type { EndpointSpec } from '../support/landscape.js';
import { bundleFixtures } from '../netns/fixture-scripts.js';
import { runWatched, startWatched, type NamespaceProcess } from '../netns/namespace-process.js';
import { environment, execForm, last, readDockerfile, ROOT } from '../ship/dockerfile.js';
import { tierUnavailable } from './availability.js';
import { nodeBaseImage, NODE_VERSIONS, type NodeMajor } from './base-image.js';
import { createEdgeNamespace, type EdgeNamespace } from './edge-namespace.js';
import { measureMemory, type MemoryFigures } from './memory.js';
import { AS_EDGE_AGENT_RUNS_IT, imageSize, LIMITS, podman, podmanCommand } from './podman.js';

const DOCKERFILE = 'Dockerfile.amd64';
const IMAGE = 'localhost/privatelink-probe:container-tier';
/** The build stage, tagged so that its npm ci layer survives the prune of earlier runs' layers. */
const BUILD_STAGE = 'localhost/privatelink-probe-build:container-tier';
const ADDED_GOAL_BYTES = 1_000_000;
/** The goal for the node process's resident memory on the image's Node (70.3 MB measured on Node 24.22). */
const RESIDENT_GOAL_BYTES = 75 * 1024 * 1024;
const STOP_GOAL_MS = 5_000;
/** Where the container finds what IoT Edge and the deployment give it. */
const WORKLOAD_SOCKET = '/var/run/iotedge/workload.sock';
const CA_IN_CONTAINER = '/etc/privatelink-probe/ca.pem';
/** An IoT Edge log line: `<6> 2026-11-28 09:00:00.000 +00:00 [INF] - message`. */
const EDGE_LINE = /^<\d> \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d\d:\d\d \[[A-Z]{3}\] - /;

const runtime = readDockerfile(DOCKERFILE).stages.at(-1)!;
const shippedNode = Number(/^node:(\d+)-/.exec(readDockerfile(DOCKERFILE).args.NODE_IMAGE ?? '')?.[1]) as NodeMajor;
const otherNode = (Object.keys(NODE_VERSIONS).map(Number) as NodeMajor[]).find((m) => m !== shippedNode)!;

// Five targets, one private endpoint each on the namespace's loopback: the hub the module is connected through
// (its automatic target, on the MQTT port), and DPS, the registry's login server and data endpoint, and Blob.
const HUB: EndpointSpec = {
  name: 'iothub',
  host: 'ctr-hub.privatelink.azure-devices.net',
  address: '127.0.0.11',
  fixedPorts: [8883],
};
const DESIRED: EndpointSpec[] = [
  {
    name: 'dps',
    host: 'ctr-global.privatelink.azure-devices-provisioning.net',
    address: '127.0.0.12',
    fixedPorts: [443],
  },
  { name: 'acr', host: 'ctracr.privatelink.azurecr.io', address: '127.0.0.13', fixedPorts: [443] },
  { name: 'acrData', host: 'ctracr.westeurope.data.privatelink.azurecr.io', address: '127.0.0.14', fixedPorts: [443] },
  { name: 'blob', host: 'ctrstore.privatelink.blob.core.windows.net', address: '127.0.0.15', fixedPorts: [443] },
];
/** A name whose DNS server never answers: a run probing it lasts its whole timeout. */
const MUTE_HOST = 'ctr-mute.privatelink.azure-devices.net';
const desiredTargets = (specs: EndpointSpec[]) =>
  Object.fromEntries(specs.map((s) => [s.name, { host: s.host, ports: s.fixedPorts!.join(',') }]));

const unavailable = tierUnavailable();
const underCi = process.env.CI === 'true' || process.env.CI === '1';
const skipped = unavailable !== undefined && !underCi;
if (skipped) {
  console.warn(
    `\n${'!'.repeat(100)}\n!! container tier SKIPPED: ${unavailable}.\n!! Run it as root: bash .ci/container.sh && npm run test:container (under CI=true it fails instead of skipping)\n${'!'.repeat(100)}\n`,
  );
}

describe.skipIf(skipped)(`the ${DOCKERFILE} image, built by podman and run by runc as edgeAgent runs it`, () => {
  let ns: EdgeNamespace;
  let host: NamespaceProcess;
  let work: string;
  let base: string;
  /** DNS, private ranges and trust for the module: the deployment-level defaults, pointing at the landscape. */
  let landscapeEnv: Record<string, string>;
  let caFile: string;
  let caName: string;
  const containers: string[] = [];
  const figures: string[] = [];

  beforeAll(async () => {
    if (unavailable) throw new Error(`the container tier cannot run, and CI never skips it: ${unavailable}`);
    work = await mkdtemp(path.join(os.tmpdir(), 'plp-container-tier-'));
    await bundleFixtures(
      [path.join(ROOT, 'test/container/fixtures/edge-host.ts')],
      path.join(ROOT, 'dist/test/container/fixtures'),
    );
    ns = await createEdgeNamespace();
    host = ns.start([process.execPath, path.join(ROOT, 'dist/test/container/fixtures/edge-host.js')], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      ipc: true,
    });
    const land = await host.call<{ env: Record<string, string>; caName: string }>(
      'landscape',
      {
        endpoints: [HUB, ...DESIRED, { name: 'mute', host: MUTE_HOST, address: '127.0.0.16', fixedPorts: [443] }],
        silent: [MUTE_HOST],
      },
      30_000,
    );
    const { CA_FILE, ...dnsAndTrust } = land.env;
    caFile = CA_FILE!;
    landscapeEnv = dnsAndTrust;
    caName = land.caName;

    base = await nodeBaseImage(shippedNode);
    const build = (extra: string[]) =>
      podman(
        [
          'build',
          '--quiet',
          '--network',
          'host',
          ...LIMITS,
          '-f',
          DOCKERFILE,
          '--build-arg',
          `NODE_IMAGE=${base}`,
          ...extra,
          ROOT,
        ],
        { timeoutMs: 900_000 },
      );
    const started = Date.now();
    await build(['--target', 'build', '-t', BUILD_STAGE]);
    await build(['-t', IMAGE]);
    figures.push(`build: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    // Layers of earlier runs' builds that no tag holds any more (with vfs, each is a whole root filesystem).
    await podman(['image', 'prune', '--force']);
  });

  afterAll(async () => {
    for (const name of containers) await podman(['rm', '--force', '--ignore', name]).catch(() => undefined);
    await ns?.dispose();
    if (work) await rm(work, { recursive: true, force: true });
    if (figures.length > 0)
      console.log(
        `\ncontainer tier figures (${DOCKERFILE}, Node ${NODE_VERSIONS[shippedNode]} base):\n  ${figures.join('\n  ')}\n`,
      );
  });

  /** `podman run` flags for a container in the namespace, as edgeAgent runs the module. */
  function runFlags(name: string, env: Record<string, string>): string[] {
    containers.push(name);
    return [
      'run',
      '--rm',
      '--name',
      name,
      '--network',
      `ns:${ns.path}`,
      '--http-proxy=false',
      ...AS_EDGE_AGENT_RUNS_IT,
      '--volume',
      `${caFile}:${CA_IN_CONTAINER}:ro`,
      ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    ];
  }

  /** A container run to its end (`check`): exit code and output. */
  function runToEnd(name: string, args: string[]) {
    return runWatched(podmanCommand([...runFlags(name, {}), IMAGE, ...args]), podmanEnv(), 60_000, `container ${name}`);
  }

  /** The module (`run`, the image's CMD) with the IoT Edge environment of a new emulator, attached. */
  async function startModule(
    id: string,
    options: { desired: Record<string, unknown>; env?: Record<string, string>; image?: string[] },
  ) {
    const edge = await host.call<Record<string, string>>(
      'emulator',
      { id, options: { hubHostname: HUB.host, initialDesired: options.desired } },
      30_000,
    );
    const socket = new URL(edge.IOTEDGE_WORKLOADURI!).pathname;
    const env = {
      ...edge,
      IOTEDGE_WORKLOADURI: `unix://${WORKLOAD_SOCKET}`,
      ...landscapeEnv,
      CA_FILE: CA_IN_CONTAINER,
      UpstreamProtocol: 'Mqtt',
      ...options.env,
    };
    const name = `plp-${process.pid}-${id}`;
    const flags = [...runFlags(name, env), '--volume', `${socket}:${WORKLOAD_SOCKET}:ro`];
    const proc = startWatched(
      podmanCommand([...flags, ...(options.image ?? [IMAGE])]),
      { env: podmanEnv() },
      `container ${name}`,
    );
    const call = <T>(op: string, args: Record<string, unknown>, timeoutMs: number) =>
      host.call<T>(op, { id, ...args }, timeoutMs).catch((error: Error) => {
        throw new Error(`${error.message}\ncontainer output:\n${proc.lines.slice(-30).join('\n')}`);
      });
    /** `podman stop`: SIGTERM, SIGKILL after 10 s, as edgeAgent stops a module; the exit code and how long it took. */
    const stop = async () => {
      const t0 = Date.now();
      await podman(['stop', '--time', '10', name]);
      const code = await proc.exited;
      return { code, ms: Date.now() - t0 };
    };
    return { name, proc, call, stop };
  }

  it(`builds; what the runtime stage adds to the base stays within ${ADDED_GOAL_BYTES / 1e6} MB`, async () => {
    const [size, baseSize] = await Promise.all([imageSize(IMAGE), imageSize(base)]);
    figures.push(
      `image: ${(size / 1e6).toFixed(1)} MB (local Debian base ${(baseSize / 1e6).toFixed(1)} MB; the Alpine base users pull is smaller)`,
    );
    figures.push(`added by the runtime stage: ${((size - baseSize) / 1e3).toFixed(0)} kB`);
    expect(size - baseSize).toBeLessThanOrEqual(ADDED_GOAL_BYTES);
    expect(await podman(['image', 'inspect', '--format', '{{.Architecture}} {{.Config.User}}', IMAGE])).toBe(
      'amd64 node\n',
    );
  });

  it('check --help: usage on stdout, exit 0, in a locked-down container', async () => {
    const { code, stdout, stderr } = await runToEnd(`plp-${process.pid}-help`, ['check', '--help']);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^Usage: privatelink-probe check/);
    expect(code).toBe(0);
  });

  it('check: a private endpoint in the namespace, TLS on 8883 verified with the mounted CA, exit 0', async () => {
    const { code, stdout, stderr } = await runToEnd(`plp-${process.pid}-check`, [
      'check',
      '--target',
      `hub=${HUB.host}:8883`,
      '--dns-server',
      landscapeEnv.DNS_SERVERS!,
      '--no-system-dns',
      '--private-range',
      '127.0.0.0/8',
      '--ca-file',
      CA_IN_CONTAINER,
      '--known-root',
      caName,
      '--timeout',
      '5000',
      '--json',
    ]);
    expect(stderr).toBe('');
    const body = JSON.parse(stdout) as TelemetryBody;
    expect(body.targets).toMatchObject([{ name: 'hub', status: 'healthy', code: 'OK' }]);
    expect(code).toBe(0);
  });

  it('run: reports the twin and sends telemetry through edgeHub, /healthz answers, podman stop ends it with 0 and "stopped"', async () => {
    const mod = await startModule('run', { desired: { intervalSeconds: 60, targets: desiredTargets(DESIRED) } });
    const [results] = await mod.call<Array<{ body: TelemetryBody }>>(
      'messages',
      { output: 'probeResults', count: 1, timeoutMs: 60_000 },
      65_000,
    );
    expect(results!.body.targets.map((t) => [t.name, t.code]).sort()).toEqual([
      ['acr', 'OK'],
      ['acrData', 'OK'],
      ['blob', 'OK'],
      ['dps', 'OK'],
      ['iothub', 'OK'],
    ]);
    const overall = await mod.call<string>('reported', { path: ['status', 'overall'], timeoutMs: 20_000 }, 25_000);
    expect(overall).toBe('healthy');
    const health = await host.call<{ status: number; body: string }>(
      'get',
      { url: 'http://127.0.0.1:9600/healthz' },
      10_000,
    );
    expect(health.status).toBe(200);

    // What the kernel says about the module's process, not what podman was asked for.
    const pid = (await podman(['inspect', '--format', '{{.State.Pid}}', mod.name])).trim();
    const status = await readProc(pid, 'status');
    expect(status).toMatch(/^Uid:\s+1000\s/m);
    expect(status).toMatch(/^CapEff:\s+0+$/m);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    expect((await readProc(pid, 'mountinfo')).split('\n').find((l) => l.split(' ')[4] === '/')).toMatch(/ ro[, ]/);
    expect(await podman(['inspect', '--format', '{{json .HostConfig.PortBindings}}', mod.name])).toMatch(
      /^(\{\}|null)\n$/,
    );

    const { code, ms } = await mod.stop();
    figures.push(`podman stop after a completed run: exit ${code} in ${ms} ms`);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(STOP_GOAL_MS);
    expectEdgeLogOfACleanStop(mod.proc.lines);
  });

  it('podman stop mid-run, while a DNS server stays silent: exit 0 within 5 s, and the log says stopped', async () => {
    const mod = await startModule('midrun', {
      desired: { intervalSeconds: 600, timeoutMs: 20_000, targets: { mute: { host: MUTE_HOST, ports: '443' } } },
    });
    // The first run starts once the desired properties are applied; with no answer from DNS it lasts 20 s.
    await mod.call('reported', { path: ['timeoutMs', 'ac'], timeoutMs: 30_000 }, 35_000);
    await mod.proc.waitForLine(/desired properties applied/, 10_000);
    const before = await host.call<string[]>('outputs', { id: 'midrun' }, 5_000);
    expect(before, 'no run has completed yet').not.toContain('probeResults');
    const { code, ms } = await mod.stop();
    // The run the stop cut short is no verdict: nothing is published for it (no DNS_FAILED alert).
    expect(await host.call<string[]>('outputs', { id: 'midrun' }, 5_000)).toEqual(before);
    figures.push(`podman stop mid-run: exit ${code} in ${ms} ms`);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(STOP_GOAL_MS);
    expectEdgeLogOfACleanStop(mod.proc.lines);
  });

  it(
    `memory after a minute of runs with five targets, beside Node ${otherNode} and Node ${shippedNode} without the memory flags`,
    { timeout: 240_000 },
    async () => {
      // The image's bundle, started as the image starts it but on another base or with other flags: the figures
      // the image's choice of Node and flags rests on, measured in the same minute.
      const bundle = path.join(work, 'privatelink-probe.mjs');
      const copier = `plp-${process.pid}-copy`;
      containers.push(copier);
      await podman(['create', '--name', copier, IMAGE]);
      await podman(['cp', `${copier}:/app/privatelink-probe.mjs`, bundle]);
      await podman(['rm', copier]);
      const [program, ...entry] = execForm(last(runtime, 'ENTRYPOINT'));
      // Every V8 flag the image sets is there for memory: the young generation, heap growth, no optimizing JITs.
      const memoryFlags = entry.filter((a) => a.startsWith('--') && !a.startsWith('--disable-warning='));
      const likeTheImage = (baseImage: string, args: string[]) => [
        '--volume',
        `${bundle}:/app/privatelink-probe.mjs:ro`,
        '--workdir',
        last(runtime, 'WORKDIR')!,
        '--user',
        '1000',
        ...Object.entries(environment(runtime)).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
        '--entrypoint',
        program!,
        baseImage,
        ...args,
        ...execForm(last(runtime, 'CMD')),
      ];
      const variants = [
        { label: `Node ${NODE_VERSIONS[shippedNode]}, the image`, image: [IMAGE] },
        {
          label: `Node ${NODE_VERSIONS[shippedNode]} without ${memoryFlags.join(' ')}`,
          image: likeTheImage(
            base,
            entry.filter((a) => !memoryFlags.includes(a)),
          ),
        },
        {
          label: `Node ${NODE_VERSIONS[otherNode]}, the image's flags`,
          image: likeTheImage(await nodeBaseImage(otherNode), entry),
        },
      ];
      const desired = { intervalSeconds: 10, targets: desiredTargets(DESIRED) };
      const modules = await Promise.all(
        variants.map((v, i) =>
          startModule(`memory-${i}`, { desired, env: { METRICS_PORT: String(9601 + i) }, image: v.image }),
        ),
      );
      // A run every 10 s: the seventh result comes a minute after the first.
      await Promise.all(
        modules.map((m) => m.call('messages', { output: 'probeResults', count: 7, timeoutMs: 100_000 }, 105_000)),
      );
      const measured = await Promise.all(modules.map((m) => measureMemory(m.name)));
      await Promise.all(modules.map((m) => m.stop()));
      variants.forEach((v, i) => figures.push(describeMemory(v.label, measured[i]!)));
      const [image, withoutFlags] = measured as [MemoryFigures, MemoryFigures];
      figures.push(
        `resident goal ${mb(RESIDENT_GOAL_BYTES)}: ${image.residentBytes <= RESIDENT_GOAL_BYTES ? 'met' : 'not met'}`,
      );
      expect(image.residentBytes).toBeLessThanOrEqual(RESIDENT_GOAL_BYTES);
      // The flags earn their place: without them the heap takes more.
      expect(image.anonymousBytes).toBeLessThan(withoutFlags.anonymousBytes);
    },
  );
});

/** The podman client's environment: nothing of the test's own reaches a container through it. */
function podmanEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: process.env.HOME ?? '/root' };
}

function readProc(pid: string, file: string): Promise<string> {
  return readFile(`/proc/${pid}/${file}`, 'utf8');
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function describeMemory(label: string, m: MemoryFigures): string {
  return `memory, ${label}: resident ${mb(m.residentBytes)} (anonymous ${mb(m.anonymousBytes)}, file-backed ${mb(m.fileBytes)}); podman stats ${mb(m.runtimeBytes)}; CPU since start ${(m.cpuMs / 1000).toFixed(2)} s`;
}

/** Only IoT Edge-format lines; the last says stopped, and nothing from the stop request on is a warning or worse. */
function expectEdgeLogOfACleanStop(lines: string[]): void {
  expect(
    lines.filter((l) => !EDGE_LINE.test(l)),
    'lines not in the IoT Edge format',
  ).toEqual([]);
  const stopping = lines.findIndex((l) => / - stopping\b/.test(l));
  expect(stopping, 'a "stopping" line').toBeGreaterThan(-1);
  expect(
    lines.slice(stopping).filter((l) => !l.startsWith('<6>') && !l.startsWith('<7>')),
    'warnings or errors during the shutdown',
  ).toEqual([]);
  expect(lines.at(-1)).toMatch(/\[INF\] - stopped$/);
}
