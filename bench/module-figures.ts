// The module as a whole process, started as the image starts it, against the loopback edgeHub emulator and five
// loopback private endpoints (an MQTT, an AMQP and an HTTPS port each, so every run makes its service exchanges):
// how long from start until the first reported results reach the twin, and its resident memory while runs are
// driven fast through `runNow` (the interval's 10 s minimum would take days for thousands of runs). Resident memory is read from /proc after a warm-up and then every
// SAMPLE_EVERY runs: the level it settles at and its drift in the second half are what a small gateway pays.
// Runs this fast allocate faster than the module's own interval ever does, so the level is an upper bound. Of the
// resident memory, only the anonymous part is the module's own (V8's heap, malloc): the rest is pages of the node
// binary and its libraries, shared through the page cache with every process that maps the same files.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmulator } from '../test/support/emulator/index.js';
import { startLandscape } from '../test/support/landscape.js';
import { imageNodeFlags } from '../test/ship/dockerfile.js';
import { startModuleProcess } from '../test/support/module-process.js';
import { SERVICE_PORTS } from './fixture-protocol.js';
import { trend } from './measure.js';

const TARGETS = 5;
const WARMUP_RUNS = 300;
const SAMPLE_EVERY = 250;

export interface ModuleFigures {
  /** From spawning the process until the twin holds the first run's results. */
  startToFirstReportMs: number;
  warmupRuns: number;
  runs: number;
  /** Resident memory after the warm-up, at the end, and the largest sample, in MB. */
  rssMb: { afterWarmup: number; end: number; max: number };
  /** The anonymous part of the resident memory at the end, in MB (`Anonymous:` of /proc/<pid>/smaps_rollup). */
  anonymousEndMb: number;
  /**
   * The trend of the second half's samples (a least-squares line, first to last): the heap grows to the working set
   * of fast runs first (the first half), so the second half is where a leak would show as a climb. The samples go up
   * and down by a few MB as the heap fills and is collected, so the last one minus the middle one would be as much
   * the saw-tooth's phase as any leak.
   */
  driftMb: number;
  /** Every sample, in MB, after the warm-up: whether it levels off or keeps climbing. */
  samplesMb: number[];
  runsPerSecond: number;
}

/** The module started as the image starts it, or with other V8 flags (`BENCH_NODE_FLAGS`, for comparison). */
export async function moduleFigures(runs: number, nodeFlags = imageNodeFlags()): Promise<ModuleFigures> {
  const land = await startLandscape();
  const targets: Record<string, { host: string; ports: string }> = {};
  for (let i = 0; i < TARGETS; i++) {
    const spec = await land.add({
      name: `m${i}`,
      host: `m${i}.privatelink.azure-devices.net`,
      address: `127.0.1.${201 + i}`,
      fixedPorts: [...SERVICE_PORTS],
    });
    targets[spec.name] = { host: spec.host, ports: spec.ports!.join(',') };
  }
  const emu = await startEmulator({
    hubHostname: 'bench-hub.privatelink.azure-devices.net',
    initialDesired: { targets, autoTargets: false },
  });
  const started = performance.now();
  const mod = startModuleProcess(
    {
      ...emu.moduleEnv(),
      ...(await land.moduleEnv()),
      CONFIG_TOML_PATH: path.join(os.tmpdir(), 'plp-no-such-config.toml'),
      UpstreamProtocol: 'Mqtt',
    },
    ['run'],
    nodeFlags,
  );
  try {
    await emu.waitFor(
      () => Object.keys((emu.twin.reported.results as object | undefined) ?? {}).length === TARGETS,
      30_000,
      'the first results in the twin',
    );
    const startToFirstReportMs = Math.round(performance.now() - started);
    const kb = (file: string, field: string) =>
      Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${mod.child.pid}/${file}`, 'utf8'))![1]);
    const rss = () => kb('status', 'VmRSS') / 1024;
    const runNow = async () => {
      const answer = await emu.invokeMethod('runNow', {}, 30_000);
      if (answer.status !== 200) throw new Error(`runNow answered ${answer.status}`);
    };
    for (let i = 0; i < WARMUP_RUNS; i++) await runNow();
    const round = (n: number) => Math.round(n * 10) / 10;
    const afterWarmup = rss();
    const samples = [round(afterWarmup)];
    const t0 = performance.now();
    for (let i = 1; i <= runs; i++) {
      await runNow();
      if (i % SAMPLE_EVERY === 0) samples.push(round(rss()));
    }
    const end = rss();
    const anonymousEnd = kb('smaps_rollup', 'Anonymous') / 1024;
    const max = Math.max(...samples, end);
    return {
      startToFirstReportMs,
      warmupRuns: WARMUP_RUNS,
      runs,
      rssMb: { afterWarmup: round(afterWarmup), end: round(end), max: round(max) },
      anonymousEndMb: round(anonymousEnd),
      driftMb: round(trend(samples.slice(Math.floor((samples.length - 1) / 2)))),
      samplesMb: samples,
      runsPerSecond: round(runs / ((performance.now() - t0) / 1000)),
    };
  } finally {
    await mod.stop('SIGTERM');
    await emu.close();
    await land.close();
  }
}
