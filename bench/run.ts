// `npm run bench`: the probe engine against bare Node primitives doing the same work, side by side in one
// process and one run, on loopback fixtures served by a child process (fixtures.ts). Every figure is a
// ratio or a difference measured within the run (the machine's speed drifts between runs); nothing here is asserted in CI.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describeName } from '../src/probe/catalogue.js';
import { realDeps } from '../src/probe/deps.js';
import { runProbe } from '../src/probe/run.js';
import { createTrust } from '../src/probe/tls.js';
import type { ProbeSettings, RunResult, TargetSpec } from '../src/probe/types.js';
import { summaryBody, telemetryBody, telemetryMessage } from '../src/report/telemetry.js';
import { FULL_DETAIL_HEARTBEAT_RUNS } from '../src/report/write-policy.js';
import { runBare, type BareSetup, type BareTarget } from './bare.js';
import { SERVICE_PORTS } from './fixture-protocol.js';
import { startFixtures, type RemoteLandscape } from './fixtures.js';
import { measure, median, sideBySide, type Pairs, type Sample } from './measure.js';
import { environment, formatFigures, met, table, writeResults, type Figure } from './report.js';
import { moduleFigures, type ModuleFigures } from './module-figures.js';
import { imageNodeFlags } from '../test/ship/dockerfile.js';
import { namespaceUnavailable, runInNamespace } from './netns.js';
import { udpReceiveDrops } from './udp-drops.js';

const SIZES = [1, 10, 50, 100] as const;
type Size = (typeof SIZES)[number];
/** Alternating pairs per size: small runs last a few ms and need more pairs for a stable median. */
const PAIRS: Record<Size, number> = { 1: 21, 10: 11, 50: 7, 100: 7 };
const PORTS = SERVICE_PORTS.length;
/** Pairs for the service check's cost: a ratio of two engine runs, each a few hundred ms, so cheap to repeat. */
const SERVICE_PAIRS = 11;
const LATENCY_MS = 200;
const SILENT_TIMEOUT_MS = 1000;
const SILENT_HEALTHY = 50;
const SILENT_RUNS = 3;
const SILENT_ATTEMPTS = 6;
const WATCHDOG_MS = 20 * 60_000;
/** Runs the module is driven through for its memory figures; the goal is stated over 10,000 (BENCH_MODULE_RUNS=10000). */
const MODULE_RUNS = Number(process.env.BENCH_MODULE_RUNS ?? 2_000);
/**
 * V8 flags to weigh against the image's (BENCH_NODE_FLAGS="--a --b"): the blackbox_exporter comparison and the
 * module's figures are run once more in a Node started with them, so one run shows both configurations' CPU and memory.
 */
const OTHER_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
/** How the figures measured with OTHER_FLAGS are labelled. */
const WITH_OTHER_FLAGS = `, Node with ${OTHER_FLAGS.join(' ')}`;
const STARTUP_GOAL_MS = 1_000;
const MODULE_RSS_GOAL_MB = 75;
const MODULE_DRIFT_GOAL_MB = 2;

const RATIO_GOAL = 1.3;
const LATENCY_GOAL = 1.5;
const SILENT_GOAL_MS = 100;
const HISTORY_GOAL_MB = 2;
const BLACKBOX_GOAL = 1.2;
const BLACKBOX_TIMEOUT_MS = 10 * 60_000;
const HISTORY_PAIRS = 5;

const deps = realDeps();
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * An engine run that must come back all healthy, with every handshake and, when the service check is on, every
 * port's exchange answered: a faster run that skipped work would be no figure.
 */
function engineRun(targets: readonly TargetSpec[], settings: ProbeSettings): () => Promise<RunResult> {
  return async () => {
    const result = await runProbe(targets, settings, deps);
    const ports = result.targets.flatMap((t) => t.ports);
    const handshakes = ports.filter((p) => p.tls?.outcome === 'ok').length;
    const exchanges = ports.filter((p) => p.service?.outcome === 'ok').length;
    const wanted = targets.length * PORTS;
    if (result.overall !== 'healthy' || handshakes !== wanted || exchanges !== (settings.serviceCheck ? wanted : 0)) {
      const bad = result.targets.find((t) => t.status !== 'healthy');
      throw new Error(
        `engine run not healthy (${handshakes} handshakes, ${exchanges} service exchanges): ${bad?.name} ${bad?.code} ${bad?.reason}`,
      );
    }
    return result;
  };
}

/** The engine stopping at TLS, where the bare prober and blackbox_exporter stop: their comparisons are like for like. */
const tlsOnly = (land: RemoteLandscape): ProbeSettings => ({ ...land.settings, serviceCheck: false });

function bareRun(targets: readonly TargetSpec[], land: RemoteLandscape): () => Promise<number> {
  const bare: BareTarget[] = targets.map((t) => ({
    host: t.host,
    counterpart: describeName(t.host).counterpart!,
    ports: t.ports!,
  }));
  const setup: BareSetup = {
    dnsServer: land.dnsServer,
    caPem: land.settings.caPem!,
    timeoutMs: land.settings.timeoutMs,
  };
  return async () => {
    const handshakes = await runBare(bare, setup);
    if (handshakes !== targets.length * PORTS) throw new Error(`bare run: ${handshakes} handshakes`);
    return handshakes;
  };
}

function summary(p: Pairs) {
  return {
    engineWallMs: round(median(p.a.map((s) => s.wallMs))),
    bareWallMs: round(median(p.b.map((s) => s.wallMs))),
    engineCpuMs: round(median(p.a.map((s) => s.cpuMs))),
    bareCpuMs: round(median(p.b.map((s) => s.cpuMs))),
    wallRatio: round(median(p.wallRatios), 3),
    cpuRatio: round(median(p.cpuRatios), 3),
    wallRatios: p.wallRatios.map((x) => round(x, 3)),
    cpuRatios: p.cpuRatios.map((x) => round(x, 3)),
  };
}

/** Figure 1: engine (TLS only) ÷ bare at each size; memory right after the 100-target pairs. */
async function compareBySize(land: RemoteLandscape) {
  const bySize: Partial<Record<Size, ReturnType<typeof summary>>> = {};
  let memory: NodeJS.MemoryUsage | undefined;
  for (const size of SIZES) {
    const targets = land.targets.slice(0, size);
    const pairs = await sideBySide(engineRun(targets, tlsOnly(land)), bareRun(targets, land), PAIRS[size]);
    if (size === 100) memory = process.memoryUsage();
    bySize[size] = summary(pairs);
    console.log(`  ${size} target(s): engine ÷ bare wall ${bySize[size].wallRatio}, CPU ${bySize[size].cpuRatio}`);
  }
  return { bySize: bySize as Record<Size, ReturnType<typeof summary>>, memory: memory! };
}

/** How the two sides' work differs, measured: DNS queries per target, and the cost of building each side's trust. */
async function workDifferences(land: RemoteLandscape) {
  const targets = land.targets.slice(0, 100);
  const perTarget = async (work: () => Promise<unknown>) => {
    const before = await land.queries();
    await work();
    return ((await land.queries()) - before) / targets.length;
  };
  const cpuMs = (build: () => unknown) => {
    const samples = Array.from({ length: 5 }, () => {
      const cpu0 = process.cpuUsage();
      build();
      const cpu = process.cpuUsage(cpu0);
      return (cpu.user + cpu.system) / 1000;
    });
    return round(median(samples), 2);
  };
  return {
    dnsQueriesPerTarget: {
      engine: await perTarget(engineRun(targets, tlsOnly(land))),
      bare: await perTarget(bareRun(targets, land)),
    },
    trustCpuMs: {
      engine: cpuMs(() => createTrust(land.settings.caPem)),
      bare: cpuMs(() => tls.createSecureContext({ ca: land.settings.caPem! })),
    },
  };
}

/**
 * Figure 2: with latency on every DNS answer and handshake, 100 targets against one, the engine as it runs (service
 * check on; the exchanges themselves get no latency); bare alongside, for scale.
 */
async function compareLatency(land: RemoteLandscape) {
  const engine = await sideBySide(
    engineRun(land.targets, land.settings),
    engineRun(land.targets.slice(0, 1), land.settings),
    5,
    1,
  );
  const bare = await sideBySide(bareRun(land.targets, land), bareRun(land.targets.slice(0, 1), land), 3, 1);
  const walls = (samples: { wallMs: number }[]) => Math.round(median(samples.map((s) => s.wallMs)));
  return {
    engine100WallMs: walls(engine.a),
    engine1WallMs: walls(engine.b),
    engineRatio: round(median(engine.wallRatios), 3),
    bare100WallMs: walls(bare.a),
    bare1WallMs: walls(bare.b),
    bareRatio: round(median(bare.wallRatios), 3),
  };
}

/**
 * Figure 7: what the service check costs: the engine as it runs (one exchange per port after the verified
 * handshake) ÷ the same run stopping at TLS (`serviceCheck: false`), 100 targets, in alternating pairs; and the
 * CPU it adds per target, the median of the pairs' differences.
 */
async function serviceCost(land: RemoteLandscape) {
  const targets = land.targets.slice(0, 100);
  const p = await sideBySide(engineRun(targets, land.settings), engineRun(targets, tlsOnly(land)), SERVICE_PAIRS);
  const ms = (samples: Sample[], of: (s: Sample) => number) => round(median(samples.map(of)));
  return {
    targets: targets.length,
    withWallMs: ms(p.a, (s) => s.wallMs),
    withoutWallMs: ms(p.b, (s) => s.wallMs),
    withCpuMs: ms(p.a, (s) => s.cpuMs),
    withoutCpuMs: ms(p.b, (s) => s.cpuMs),
    wallRatio: round(median(p.wallRatios), 3),
    cpuRatio: round(median(p.cpuRatios), 3),
    cpuMsPerTarget: round(median(p.a.map((s, i) => s.cpuMs - p.b[i]!.cpuMs)) / targets.length, 2),
    wallRatios: p.wallRatios.map((x) => round(x, 3)),
    cpuRatios: p.cpuRatios.map((x) => round(x, 3)),
  };
}

function codes(result: RunResult): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const t of result.targets) counts[t.code] = (counts[t.code] ?? 0) + 1;
  return counts;
}

/**
 * Figure 3: one target whose DNS server never answers among healthy ones; the run must end at its timeout.
 * A run in which a healthy target failed too (a 1000 ms step bound can be overrun on a starved machine)
 * measures something else: it is set aside and reported, and another is made, up to SILENT_ATTEMPTS.
 */
async function silentDns(land: RemoteLandscape) {
  const mute = land.targets[SILENT_HEALTHY]!;
  const muteNames = [mute.host, describeName(mute.host).counterpart!];
  const settings = { ...land.settings, timeoutMs: SILENT_TIMEOUT_MS };
  const targets = land.targets.slice(0, SILENT_HEALTHY + 1);
  const walls: number[] = [];
  const setAside: Array<{ wallMs: number; codes: Record<string, number> }> = [];
  await land.setBehaviour(muteNames, 'silent');
  try {
    for (let i = 0; i < SILENT_ATTEMPTS && walls.length < SILENT_RUNS; i++) {
      let result: RunResult | undefined;
      const sample = await measure(async () => (result = await runProbe(targets, settings, deps)));
      const counts = codes(result!);
      if (counts.OK === SILENT_HEALTHY && counts.DNS_TIMEOUT === 1) walls.push(round(sample.wallMs));
      else setAside.push({ wallMs: round(sample.wallMs), codes: counts });
    }
  } finally {
    await land.setBehaviour(muteNames, 'answer');
  }
  // No valid run leaves the figure at infinity: reported, and not met.
  const overrunMs = walls.length > 0 ? round(median(walls) - SILENT_TIMEOUT_MS) : Number.POSITIVE_INFINITY;
  return { timeoutMs: SILENT_TIMEOUT_MS, healthyTargets: SILENT_HEALTHY, wallsMs: walls, setAside, overrunMs };
}

/**
 * Figure 4: what a full run history costs (32 targets × 288 runs), in fresh processes with and without it
 * (history-memory.ts), alternating; the medians of JS memory (heap + array buffers) and resident memory.
 */
async function historyMemory() {
  const script = fileURLToPath(new URL('./history-memory.js', import.meta.url));
  const sample = async (mode: 'with' | 'without') => {
    // With the flags the image starts Node with (the Dockerfile's ENTRYPOINT), as the module runs.
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', ...imageNodeFlags(), script, mode]);
    return JSON.parse(stdout) as { jsBytes: number; rssBytes: number };
  };
  const js: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < HISTORY_PAIRS; i++) {
    const [a, b] = [await sample('with'), await sample('without')];
    js.push(a.jsBytes - b.jsBytes);
    rss.push(a.rssBytes - b.rssBytes);
  }
  const mb = (n: number) => round(n / 1048576, 2);
  return { jsMb: mb(median(js)), rssMb: mb(median(rss)), jsMbPairs: js.map(mb), rssMbPairs: rss.map(mb) };
}

/**
 * Figure 5: what the results messages cost on IoT Hub's bill, metered in 4 KB units (body and properties), for 5
 * targets × 3 ports at the default interval (288 runs a day): every run in full, against the default (a summary
 * for a quiet run, full detail every 12th run; a change or runNow adds full messages on top).
 */
async function messageCost(land: RemoteLandscape) {
  const run = await engineRun(land.targets.slice(0, 5), land.settings)();
  const ctx = { deviceId: 'factory-gw-01', moduleId: 'PrivateLinkProbe', edge: null };
  const cost = (m: { data: string; properties: Record<string, string> }) => {
    const bytes = Buffer.byteLength(m.data) + Buffer.byteLength(JSON.stringify(m.properties));
    return { bytes, units: Math.ceil(bytes / 4096) };
  };
  const full = cost(telemetryMessage(telemetryBody(run, ctx)));
  const summary = cost(telemetryMessage(summaryBody(run, ctx)));
  const runsPerDay = 86_400 / 300;
  const fullRuns = runsPerDay / FULL_DETAIL_HEARTBEAT_RUNS;
  return {
    full,
    summary,
    unitsPerDayAllFull: runsPerDay * full.units,
    unitsPerDayQuiet: fullRuns * full.units + (runsPerDay - fullRuns) * summary.units,
  };
}

interface BlackboxFigures {
  exporter: string;
  bySize: Record<
    string,
    {
      cpuMsPerTarget: Record<'engine' | 'blackbox' | 'bare', number>;
      cpuVsBlackbox: number;
      wallVsBlackbox: number;
      cpuVsBare: number;
      wallVsBare: number;
    }
  >;
}

/**
 * Figure 6: the engine beside blackbox_exporter and the bare minimum, in a namespace of its own (blackbox.ts), in a
 * Node started with `nodeFlags`: none (V8 as Node sets it), or the image's (no optimizing compilers, for memory).
 */
async function compareWithBlackbox(nodeFlags: string[]): Promise<BlackboxFigures | string> {
  const why =
    namespaceUnavailable() ??
    (existsSync('/usr/bin/prometheus-blackbox-exporter')
      ? undefined
      : 'prometheus-blackbox-exporter is not installed (apt-get install prometheus-blackbox-exporter)');
  if (why) return why;
  const script = fileURLToPath(new URL('./blackbox.js', import.meta.url));
  const { code, stdout } = await runInNamespace(
    [process.execPath, ...nodeFlags, script],
    process.env,
    BLACKBOX_TIMEOUT_MS,
  );
  const line = stdout.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !line.startsWith('{')) return `the comparison failed (exit ${code})`;
  return JSON.parse(line) as BlackboxFigures;
}

/** The blackbox_exporter comparison and the module's figures in a Node started with `flags` (BENCH_NODE_FLAGS). */
async function otherFlags(flags: string[]): Promise<{ blackbox: BlackboxFigures | string; module: ModuleFigures }> {
  console.log(`  … and in Node started with ${flags.join(' ')}: blackbox_exporter, then the module …`);
  return { blackbox: await compareWithBlackbox(flags), module: await moduleFigures(MODULE_RUNS, flags) };
}

async function main(): Promise<void> {
  // A flag Node does not know would fail only minutes in, where the module first starts with it.
  const tried = OTHER_FLAGS.length > 0 && spawnSync(process.execPath, [...OTHER_FLAGS, '-e', ''], { encoding: 'utf8' });
  if (tried && tried.status !== 0) {
    console.error(`BENCH_NODE_FLAGS: node refuses them: ${tried.stderr.trim()}`);
    process.exitCode = 2;
    return;
  }
  const env = environment();
  console.log(`privatelink-probe bench — Node ${env.node}, ${env.cpus} CPUs (${env.cpuModel}), ${env.date}`);
  const fixtures = startFixtures();
  try {
    console.log(`building loopback landscapes (2 × 100 targets × ${PORTS} TLS ports) in the fixture process …`);
    const [fast, slow] = await Promise.all([
      fixtures.start({ prefix: 'b', count: 100, ports: SERVICE_PORTS, subnet: '127.0.1', first: 1 }),
      fixtures.start({
        prefix: 'l',
        count: 100,
        ports: SERVICE_PORTS,
        subnet: '127.0.1',
        first: 101,
        dnsLatencyMs: LATENCY_MS,
        tlsLatencyMs: LATENCY_MS,
      }),
    ]);
    const drops0 = udpReceiveDrops();
    const { bySize, memory } = await compareBySize(fast);
    const work = await workDifferences(fast);
    console.log(`  the service check: 100 targets × ${PORTS} ports with it and without …`);
    const service = await serviceCost(fast);
    console.log(`  engine with ÷ without wall ${service.wallRatio}, CPU ${service.cpuRatio}`);
    console.log(`  ${LATENCY_MS} ms on every DNS answer and handshake: 100 targets against 1 …`);
    const latency = await compareLatency(slow);
    console.log(`  one silent DNS name among ${SILENT_HEALTHY} healthy targets, timeoutMs ${SILENT_TIMEOUT_MS} …`);
    const silent = await silentDns(fast);
    console.log('  a full run history (32 targets × 288 runs), with and without, in fresh processes …');
    const history = await historyMemory();
    const bill = await messageCost(fast);
    console.log(
      `  the module, started as the image starts it, 5 targets × ${PORTS} ports, ${MODULE_RUNS} runs through runNow …`,
    );
    const moduleRun = await moduleFigures(MODULE_RUNS);
    console.log(
      '  beside blackbox_exporter and the bare minimum, in a network namespace (10, 50, 100 targets × 3 ports) …',
    );
    const blackbox = await compareWithBlackbox([]);
    const imageFlags = imageNodeFlags();
    console.log(`  … and again in Node started with the image's flags (${imageFlags.join(' ')}) …`);
    const blackboxAsImage = await compareWithBlackbox(imageFlags);
    const other = OTHER_FLAGS.length === 0 ? undefined : await otherFlags(OTHER_FLAGS);
    const moduleMemoryFigures = (run: ModuleFigures, id: string, how: string): Figure[] => [
      {
        id: `module-rss${id}`,
        figure: `module resident memory, 5 targets, after ${MODULE_RUNS} runs${how}`,
        value: run.rssMb.end,
        unit: 'MB',
        goal: MODULE_RSS_GOAL_MB,
      },
      {
        id: `module-rss-drift${id}`,
        figure: `module resident drift, 2nd half of ${MODULE_RUNS} runs${how}`,
        value: run.driftMb,
        unit: 'MB',
        goal: MODULE_DRIFT_GOAL_MB,
      },
    ];
    const blackboxFigures = (comparison: BlackboxFigures | string, id: string, how: string): Figure[] =>
      typeof comparison === 'string'
        ? []
        : Object.entries(comparison.bySize).flatMap(([size, f]): Figure[] => [
            {
              id: `cpu-vs-blackbox-${size}${id}`,
              figure: `engine ÷ blackbox_exporter CPU, ${size} × ${PORTS} ports, no service check${how}`,
              value: f.cpuVsBlackbox,
              unit: 'ratio',
              goal: BLACKBOX_GOAL,
            },
            {
              id: `cpu-vs-minimal-${size}${id}`,
              figure: `engine ÷ minimal bare CPU, ${size} × ${PORTS} ports, no service check${how}`,
              value: f.cpuVsBare,
              unit: 'ratio',
              goal: BLACKBOX_GOAL,
            },
          ]);
    const drops1 = udpReceiveDrops();
    const udpDrops = drops0 === undefined || drops1 === undefined ? null : drops1 - drops0;

    const figures: Figure[] = [
      ...SIZES.flatMap((size): Figure[] => [
        {
          id: `wall-${size}`,
          figure: `engine ÷ bare wall, ${size} × ${PORTS} ports, no service check`,
          value: bySize[size].wallRatio,
          unit: 'ratio',
          goal: RATIO_GOAL,
        },
        {
          id: `cpu-${size}`,
          figure: `engine ÷ bare CPU,  ${size} × ${PORTS} ports, no service check`,
          value: bySize[size].cpuRatio,
          unit: 'ratio',
          goal: RATIO_GOAL,
        },
      ]),
      {
        id: 'service-cpu-100',
        figure: `service check: engine CPU with ÷ without, ${service.targets} × ${PORTS} ports`,
        value: service.cpuRatio,
        unit: 'ratio',
      },
      {
        id: 'service-wall-100',
        figure: `service check: engine wall with ÷ without, ${service.targets} × ${PORTS} ports`,
        value: service.wallRatio,
        unit: 'ratio',
      },
      {
        id: 'latency-100-vs-1',
        figure: `${LATENCY_MS} ms latency: wall 100 ÷ 1 target`,
        value: latency.engineRatio,
        unit: 'ratio',
        goal: LATENCY_GOAL,
      },
      {
        id: 'silent-dns-overrun',
        figure: `silent DNS among ${SILENT_HEALTHY}: wall − timeoutMs`,
        value: silent.overrunMs,
        unit: 'ms',
        goal: SILENT_GOAL_MS,
      },
      ...blackboxFigures(blackbox, '', ''),
      ...blackboxFigures(blackboxAsImage, '-image-flags', ", Node with the image's V8 flags"),
      ...(other ? blackboxFigures(other.blackbox, '-other-flags', WITH_OTHER_FLAGS) : []),
      {
        id: 'startup-first-report',
        figure: 'module start → first results in the twin',
        value: moduleRun.startToFirstReportMs,
        unit: 'ms',
        goal: STARTUP_GOAL_MS,
      },
      ...moduleMemoryFigures(moduleRun, '', ''),
      ...(other ? moduleMemoryFigures(other.module, '-other-flags', WITH_OTHER_FLAGS) : []),
      {
        id: 'summary-units',
        figure: 'quiet run, 5 × 3 ports: message units',
        value: bill.summary.units,
        unit: 'units',
        goal: 1,
      },
      {
        id: 'history-memory',
        figure: 'run history, 32 targets × 288 runs: JS memory',
        value: history.jsMb,
        unit: 'MB',
        goal: HISTORY_GOAL_MB,
      },
      {
        id: 'history-resident',
        figure: 'run history, 32 targets × 288 runs: resident',
        value: history.rssMb,
        unit: 'MB',
        goal: HISTORY_GOAL_MB,
      },
    ];
    const missed = figures.filter((f) => !met(f));
    const { trustCpuMs: trust, dnsQueriesPerTarget: queries } = work;
    const mb = (n: number) => round(n / 1048576);
    const memoryMb = {
      rss: mb(memory.rss),
      heapUsed: mb(memory.heapUsed),
      heapTotal: mb(memory.heapTotal),
      external: mb(memory.external),
    };
    const notes = [
      `engine: runProbe, the landscape's DNS server on loopback, systemDns false, TLS on all ${PORTS} ports (${SERVICE_PORTS.join(', ')}), timeoutMs ${fast.settings.timeoutMs}, maxInFlight ${fast.settings.maxInFlight}. Per target: A+AAAA for the name and its public counterpart (dns-packet, a UDP socket per name, CNAME chains walked), then per port one TCP connect whose connection the TLS handshake then uses, verified by the engine (chain, name, certificate facts), then the service check's exchange on it (MQTT CONNECT → CONNACK, AMQP header, HTTPS GET → 401 with Azure's headers); verdicts.`,
      'service check: on (the default) for the latency, silent-DNS, message and module figures; off (serviceCheck false) beside bare and blackbox_exporter, which stop at TLS; both, paired, for its own figure.',
      'bare: per target the same four questions (A+AAAA for name and counterpart) with dns-packet over one UDP socket, the same resend interval; per port net.connect+close, then tls.connect with one shared createSecureContext({ ca }) and checkServerIdentity; everything concurrent.',
      `DNS queries per target, counted at the server: engine ${queries.engine}, bare ${queries.bare}.`,
      `trust: the engine's createTrust(test CA) = Node's default roots + test CA, ${trust.engine} ms CPU, built once per CA bundle and kept across runs (sharedTrust); the baseline's createSecureContext({ ca: test CA }) ${trust.bare} ms CPU. The engine needs the default roots for real Azure endpoints.`,
      "fixtures (DNS server, TLS endpoints) run in a child process: CPU figures count the client side only; CPU includes teardown until the run's sockets have closed.",
      `ratios: median of per-pair ratios over alternating pairs (engine, bare / bare, engine / …) after 2 warm-up runs of each; pairs per size ${SIZES.map((s) => `${s}: ${PAIRS[s]}`).join(', ')}; service check ${SERVICE_PAIRS} pairs; latency 5 pairs (bare 3).`,
      `UDP receive-buffer drops on this machine during the measurements: ${udpDrops ?? 'unknown (no /proc/net/snmp)'} (machine-wide; drops cost resend intervals, so non-zero weakens the wall figures).`,
    ];

    console.log('');
    console.log(formatFigures(figures));
    console.log('');
    console.log(
      table(
        ['targets', 'engine wall ms', 'bare wall ms', 'engine CPU ms', 'bare CPU ms'],
        SIZES.map((s) => [
          String(s),
          ...[bySize[s].engineWallMs, bySize[s].bareWallMs, bySize[s].engineCpuMs, bySize[s].bareCpuMs].map(String),
        ]),
      ),
    );
    console.log('');
    console.log(
      `${LATENCY_MS} ms latency, median wall: engine ${latency.engine1WallMs} ms (1 target), ${latency.engine100WallMs} ms (100); bare ${latency.bare1WallMs} ms (1), ${latency.bare100WallMs} ms (100), ratio ${latency.bareRatio}`,
    );
    console.log(
      `service check, ${service.targets} targets × ${PORTS} ports, median: wall ${service.withWallMs} ms with, ${service.withoutWallMs} ms without; CPU ${service.withCpuMs} ms with, ${service.withoutCpuMs} ms without, ${service.cpuMsPerTarget} ms more per target; CPU ratios ${service.cpuRatios.join(' ')}`,
    );
    console.log(`silent DNS runs: ${silent.wallsMs.join(', ')} ms (timeoutMs ${SILENT_TIMEOUT_MS})`);
    for (const run of silent.setAside)
      console.log(`  set aside, healthy targets failed too: ${run.wallMs} ms, ${JSON.stringify(run.codes)}`);
    for (const [comparison, how] of [
      [blackbox, ''],
      [blackboxAsImage, ", Node with the image's V8 flags"],
      ...(other ? [[other.blackbox, WITH_OTHER_FLAGS] as const] : []),
    ]) {
      if (typeof comparison === 'string') {
        console.log(`!! blackbox_exporter comparison${how} SKIPPED: ${comparison}`);
        continue;
      }
      console.log(
        `beside blackbox_exporter ${comparison.exporter}${how} (system resolver in the namespace for all three; the engine without its service check; CPU of each side's own process):`,
      );
      console.log(
        table(
          [
            'targets',
            'engine CPU ms/target',
            'blackbox CPU ms/target',
            'minimal bare CPU ms/target',
            'engine ÷ blackbox wall',
            'engine ÷ minimal wall',
          ],
          Object.entries(comparison.bySize).map(([size, f]) => [
            size,
            ...[
              f.cpuMsPerTarget.engine,
              f.cpuMsPerTarget.blackbox,
              f.cpuMsPerTarget.bare,
              f.wallVsBlackbox,
              f.wallVsBare,
            ].map(String),
          ]),
        ),
      );
    }
    for (const [run, how] of [
      [moduleRun, 'started as the image starts it'],
      ...(other ? [[other.module, `started with ${OTHER_FLAGS.join(' ')}`] as const] : []),
    ] as const)
      console.log(
        `the module, 5 targets × ${PORTS} ports, ${how}: first results in the twin ${run.startToFirstReportMs} ms after start; resident ${run.rssMb.afterWarmup} MB after ${run.warmupRuns} warm-up runs, ${run.rssMb.end} MB after ${run.runs} more (max ${run.rssMb.max}; ${run.anonymousEndMb} MB of it anonymous, the rest the node binary's and libraries' shared pages), a trend of ${run.driftMb} MB over the second half; ${run.runsPerSecond} runs/s; samples ${run.samplesMb.join(' ')}`,
      );
    console.log(
      `results message, 5 targets × ${PORTS} ports: full ${bill.full.bytes} bytes (${bill.full.units} units), summary ${bill.summary.bytes} bytes (${bill.summary.units} unit); per device per day at 300 s: ${bill.unitsPerDayQuiet} units when nothing changes (full every ${FULL_DETAIL_HEARTBEAT_RUNS} runs), ${bill.unitsPerDayAllFull} with telemetry.detail full`,
    );
    console.log(
      `run history, 32 targets × 288 runs, with − without: JS ${history.jsMb} MB, resident ${history.rssMb} MB (medians of ${HISTORY_PAIRS} pairs, Node started as the image starts it)`,
    );
    console.log(
      `memory after the 100-target runs: RSS ${memoryMb.rss} MB, heap used ${memoryMb.heapUsed} MB of ${memoryMb.heapTotal} MB, external ${memoryMb.external} MB`,
    );
    console.log('');
    for (const note of notes) console.log(`- ${note}`);
    console.log('');
    console.log(missed.length === 0 ? 'all goals met' : `goals NOT met: ${missed.map((f) => f.id).join(', ')}`);

    const file = await writeResults(
      {
        ...env,
        figures: figures.map((f) => ({
          ...f,
          value: round(f.value, 3),
          ...(f.goal === undefined ? {} : { met: met(f) }),
        })),
        allMet: missed.length === 0,
        bySize,
        serviceCheck: service,
        latency,
        silentDns: silent,
        historyMemory: history,
        messageCost: bill,
        module: moduleRun,
        blackbox,
        blackboxAsImage,
        ...(other
          ? { otherNodeFlags: OTHER_FLAGS, blackboxOtherFlags: other.blackbox, moduleOtherFlags: other.module }
          : {}),
        ...work,
        udpReceiveDrops: udpDrops,
        memoryAfter100TargetsMb: memoryMb,
        notes,
      },
      env.date,
    );
    console.log(`results: ${file} (and bench/results/latest.json)`);
  } finally {
    await fixtures.close();
  }
}

// A bound on the whole benchmark, whatever hangs; unref'd so it never keeps a finished process alive.
setTimeout(() => {
  console.error(`bench: still running after ${WATCHDOG_MS / 60_000} minutes, giving up`);
  process.exit(1);
}, WATCHDOG_MS).unref();

main().catch((error: unknown) => {
  console.error('bench failed:', error);
  process.exitCode = 1;
});
