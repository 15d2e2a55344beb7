// The engine beside Prometheus' blackbox_exporter (Debian's prometheus-blackbox-exporter, tcp prober with TLS,
// one /probe per target and port, as Prometheus would scrape it) and beside the minimum in bare Node (one
// lookup, then one verified handshake per port), on the same loopback targets, in the same rounds; the engine with
// `serviceCheck: false`, as the other two stop at TLS. Run by `npm run bench` inside a namespace of its own
// (netns.ts), where the fixture DNS server on 127.0.0.1:53 is the system resolver: the exporter has no other, and
// the engine uses the same one here. Prints one JSON line.
//
// CPU is what each side's own process spends: the engine and the bare baseline in this process
// (process.cpuUsage), the exporter from /proc/<pid>/stat (clock ticks, hence batches repeated within a sample).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dns from 'node:dns';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { realDeps } from '../src/probe/deps.js';
import { runProbe } from '../src/probe/run.js';
import type { TargetSpec } from '../src/probe/types.js';
import { SERVICE_PORTS } from './fixture-protocol.js';
import { startFixtures, type RemoteLandscape } from './fixtures.js';
import { median } from './measure.js';

const EXPORTER = '/usr/bin/prometheus-blackbox-exporter';
const LISTEN = '127.0.0.1:9115';
const SIZES = [10, 50, 100] as const;
const ROUNDS = 5;
/** Batches per sample, so the exporter's CPU (10 ms clock ticks) is read over enough work. */
const REPEAT: Record<(typeof SIZES)[number], number> = { 10: 10, 50: 2, 100: 1 };
const CLOCK_TICK_MS = 10;

interface Side {
  wallMs: number;
  cpuMs: number;
}

async function main(): Promise<void> {
  const fixtures = startFixtures();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'plp-blackbox-'));
  let exporter: ChildProcess | undefined;
  try {
    const land = await fixtures.start({
      prefix: 'x',
      count: 100,
      ports: SERVICE_PORTS,
      subnet: '127.0.1',
      first: 1,
      dnsPort: 53,
    });
    exporter = await startExporter(dir, land.caPem);
    const pid = exporter.pid!;
    // The exporter and the minimal prober stop at TLS: so does the engine here, for the same work.
    const settings = { ...land.settings, systemDns: true, dnsServers: [], serviceCheck: false };
    const deps = realDeps();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 400 });
    const bySize: Record<string, unknown> = {};
    for (const size of SIZES) {
      const targets = land.targets.slice(0, size);
      const sides = {
        engine: () =>
          inProcess(REPEAT[size], async () => checkEngine(await runProbe(targets, settings, deps), targets)),
        blackbox: () => inExporter(pid, REPEAT[size], () => probeWithExporter(targets, agent)),
        bare: () => inProcess(REPEAT[size], () => bareMinimum(targets, land)),
      };
      // Warm-up: caches, connection pools, JIT.
      for (const run of Object.values(sides)) await run();
      const ratios = {
        cpuVsBlackbox: [] as number[],
        wallVsBlackbox: [] as number[],
        cpuVsBare: [] as number[],
        wallVsBare: [] as number[],
      };
      const samples: Record<string, Side[]> = { engine: [], blackbox: [], bare: [] };
      const order = Object.keys(sides) as Array<keyof typeof sides>;
      for (let round = 0; round < ROUNDS; round++) {
        const got: Partial<Record<keyof typeof sides, Side>> = {};
        // Each round in another order, so no side always follows the same one.
        for (let i = 0; i < order.length; i++) {
          const side = order[(i + round) % order.length]!;
          got[side] = await sides[side]();
          samples[side]!.push(got[side]);
        }
        ratios.cpuVsBlackbox.push(got.engine!.cpuMs / got.blackbox!.cpuMs);
        ratios.wallVsBlackbox.push(got.engine!.wallMs / got.blackbox!.wallMs);
        ratios.cpuVsBare.push(got.engine!.cpuMs / got.bare!.cpuMs);
        ratios.wallVsBare.push(got.engine!.wallMs / got.bare!.wallMs);
      }
      const perTarget = (side: string) => median(samples[side]!.map((s) => s.cpuMs)) / (size * REPEAT[size]);
      bySize[size] = {
        cpuMsPerTarget: {
          engine: round2(perTarget('engine')),
          blackbox: round2(perTarget('blackbox')),
          bare: round2(perTarget('bare')),
        },
        ...Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, round2(median(v))])),
      };
    }
    agent.destroy();
    console.log(JSON.stringify({ exporter: exporterVersion(), rounds: ROUNDS, repeat: REPEAT, bySize }));
  } finally {
    exporter?.kill();
    await fixtures.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The exporter with a tcp+TLS module that trusts the test CA; SNI is each target's name. */
async function startExporter(dir: string, caPem: string): Promise<ChildProcess> {
  writeFileSync(path.join(dir, 'ca.pem'), caPem);
  writeFileSync(
    path.join(dir, 'blackbox.yml'),
    [
      'modules:',
      '  tls:',
      '    prober: tcp',
      '    timeout: 5s',
      '    tcp:',
      '      preferred_ip_protocol: ip4',
      '      ip_protocol_fallback: false',
      '      tls: true',
      '      tls_config:',
      `        ca_file: ${path.join(dir, 'ca.pem')}`,
      '',
    ].join('\n'),
  );
  const child = spawn(
    EXPORTER,
    [`--config.file=${path.join(dir, 'blackbox.yml')}`, `--web.listen-address=${LISTEN}`, '--log.level=error'],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`blackbox_exporter exited (${child.exitCode})`);
    if ((await get(`http://${LISTEN}/-/healthy`).catch(() => 0)) === 200) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('blackbox_exporter did not become healthy within 10 s');
}

/** `0.23.0+ds`, from the exporter's own `--version` (it prints to stderr). */
function exporterVersion(): string {
  const out = spawnSync(EXPORTER, ['--version'], { encoding: 'utf8' });
  return /version ([\w.+~-]+)/.exec(`${out.stdout}${out.stderr}`)?.[1] ?? 'unknown';
}

function get(url: string, agent?: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
  });
}

/** One /probe per target and port, all at once; every probe must succeed. */
async function probeWithExporter(targets: readonly TargetSpec[], agent: http.Agent): Promise<void> {
  const bodies = await Promise.all(
    targets.flatMap((t) =>
      t.ports!.map(
        (port) =>
          new Promise<string>((resolve, reject) => {
            http
              .get(
                `http://${LISTEN}/probe?module=tls&target=${encodeURIComponent(`${t.host}:${port}`)}`,
                { agent },
                (res) => {
                  let text = '';
                  res.setEncoding('utf8');
                  res.on('data', (c: string) => (text += c));
                  res.on('end', () => resolve(text));
                },
              )
              .on('error', reject);
          }),
      ),
    ),
  );
  const failed = bodies.filter((b) => !/^probe_success 1$/m.test(b)).length;
  if (failed > 0) throw new Error(`blackbox_exporter: ${failed} of ${bodies.length} probes failed`);
}

function checkEngine(result: Awaited<ReturnType<typeof runProbe>>, targets: readonly TargetSpec[]): void {
  const handshakes = result.targets.flatMap((t) => t.ports).filter((p) => p.tls?.outcome === 'ok').length;
  if (result.overall !== 'healthy' || handshakes !== targets.length * SERVICE_PORTS.length)
    throw new Error(`engine run not healthy: ${handshakes} handshakes`);
}

/** The least a prober can do: one system lookup per target, one verified handshake per port. */
async function bareMinimum(targets: readonly TargetSpec[], land: RemoteLandscape): Promise<void> {
  const context = tls.createSecureContext({ ca: land.caPem });
  await Promise.all(
    targets.map(async (t) => {
      const { address } = await dns.promises.lookup(t.host, { family: 4 });
      await Promise.all(
        t.ports!.map(
          (port) =>
            new Promise<void>((resolve, reject) => {
              const socket = tls.connect({ host: address, port, servername: t.host, secureContext: context }, () =>
                socket.end(() => resolve()),
              );
              socket.on('error', reject);
            }),
        ),
      );
    }),
  );
}

async function inProcess(repeat: number, work: () => Promise<void>): Promise<Side> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < repeat; i++) await work();
  const cpu = process.cpuUsage(cpu0);
  return { wallMs: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function inExporter(pid: number, repeat: number, work: () => Promise<void>): Promise<Side> {
  const cpu0 = processCpuMs(pid);
  const t0 = performance.now();
  for (let i = 0; i < repeat; i++) await work();
  const wallMs = performance.now() - t0;
  // Its goroutines may still be closing connections: give the counters a moment.
  await new Promise((r) => setTimeout(r, 50));
  return { wallMs, cpuMs: processCpuMs(pid) - cpu0 };
}

/** utime + stime of a process, every thread included. */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
}

main().catch((error: unknown) => {
  console.error('blackbox comparison failed:', error);
  process.exitCode = 1;
});
