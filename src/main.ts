// `privatelink-probe run`: the IoT Edge module. Wires the engine, the module logic, the edgeHub connection,
// the local HTTP endpoints and the watchdog, and shuts them down in order on SIGTERM (edgeAgent's stop).
import { setTimeout as delay } from 'node:timers/promises';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { LIST_LIMITS } from './config/lists.js';
import { Faults, readList } from './config/read.js';
import type { SettingsLayer } from './config/settings.js';
import { validateDesired } from './config/validate.js';
import { readEdgeContext } from './edge/read.js';
import { connectionStringIdentity } from './edge/redact.js';
import { readCaFile } from './ca-file.js';
import { exitNow } from './exit.js';
import { MODEL_ID } from './model/ids.js';
import { DEFAULT_HUB_OPTIONS, HubConnection } from './hub/connection.js';
import { usesConnectionString } from './hub/sdk.js';
import { createLogger } from './log.js';
import { ProbeModule } from './module/module.js';
import { realDeps } from './probe/deps.js';
import { proxyFromEnvironment } from './probe/proxy-settings.js';
import { runBoundMs } from './probe/run.js';
import { DEFAULT_SETTINGS } from './probe/defaults.js';
import { startHttpServer } from './http/server.js';
import { startWatchdog } from './module/watchdog.js';

/** The Plug and Play model the module announces; its DTDL definition is in `model/` (docs/plug-and-play.md). */
export { MODEL_ID };

/** Shutdown budget: edgeAgent waits a few seconds before it kills a stopping module. */
const RUN_GRACE_MS = 3_000;
const EXIT_DEADLINE_MS = 5_000;

export function moduleVersion(): string {
  try {
    return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  } catch {
    // Bundled into one file, package.json is not beside it: the bundle defines the version at build time.
    return process.env.npm_package_version ?? 'unknown';
  }
}

function identity(env: NodeJS.ProcessEnv) {
  const cs = connectionStringIdentity(env.EdgeHubConnectionString ?? env.IotHubConnectionString ?? '');
  return {
    deviceId: env.IOTEDGE_DEVICEID ?? cs.deviceId ?? null,
    moduleId: env.IOTEDGE_MODULEID ?? cs.moduleId ?? null,
    iothub: env.IOTEDGE_IOTHUBHOSTNAME ?? cs.hostName ?? null,
  };
}

/**
 * The deployment's layer of the settings: trust and known roots (CA_FILE, KNOWN_ROOTS), the proxy the runtime
 * uses (https_proxy, no_proxy: given to this module as to edgeAgent and edgeHub), and DNS_SERVERS, DNS_SYSTEM,
 * PRIVATE_RANGES read as the desired `dns.*` are, by the same readers and limits. Rejects when CA_FILE cannot
 * be read; invalid variables are logged (never their value: a proxy URL may hold a password) and left out.
 */
async function environmentLayer(env: NodeJS.ProcessEnv, log: Logger): Promise<SettingsLayer> {
  const layer: SettingsLayer = {};
  const proxy = proxyFromEnvironment({ env });
  if (proxy.settings) layer.proxy = proxy.settings;
  if (proxy.error) log.error({ reason: proxy.error }, 'https_proxy ignored: every port is probed directly');
  if (proxy.notes.length > 0) log.warn({ notes: proxy.notes }, 'no_proxy: entries ignored');
  if (env.CA_FILE) layer.caPem = await readCaFile(env.CA_FILE);
  if (env.KNOWN_ROOTS !== undefined) {
    const faults = new Faults();
    const extraRoots = readList(env.KNOWN_ROOTS, ['KNOWN_ROOTS'], LIST_LIMITS.knownRoots, faults);
    if (extraRoots) layer.knownRoots = [...DEFAULT_SETTINGS.knownRoots, ...extraRoots];
    else log.error({ errors: faults.errors }, 'KNOWN_ROOTS ignored');
  }
  const dns: Record<string, unknown> = {};
  if (env.DNS_SERVERS !== undefined) dns.servers = env.DNS_SERVERS;
  if (env.DNS_SYSTEM !== undefined) dns.system = env.DNS_SYSTEM;
  if (env.PRIVATE_RANGES !== undefined) dns.privateRanges = env.PRIVATE_RANGES;
  if (Object.keys(dns).length === 0) return layer;
  const result = validateDesired({ dns });
  if (!result.ok) {
    log.error({ errors: result.errors }, 'DNS_SERVERS / DNS_SYSTEM / PRIVATE_RANGES ignored');
    return layer;
  }
  return { ...layer, ...result.config.explicit };
}

function numberFromEnv(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const n = Number(env[key]);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

export async function runModule(
  env: NodeJS.ProcessEnv = process.env,
  log: Logger = createLogger({ env }),
): Promise<number> {
  if (!usesConnectionString(env) && !env.IOTEDGE_WORKLOADURI) {
    log.fatal(
      'not running in IoT Edge: set the IOTEDGE_* variables (edgeAgent does) or EdgeHubConnectionString with EdgeModuleCACertificateFile',
    );
    return 2;
  }
  const id = identity(env);
  let environment: SettingsLayer;
  try {
    environment = await environmentLayer(env, log);
  } catch (e) {
    log.fatal({ err: e }, `CA_FILE ${env.CA_FILE}: cannot read it; mount the CA bundle there or unset CA_FILE`);
    return 2;
  }
  const module = new ProbeModule({
    ...id,
    moduleVersion: moduleVersion(),
    deps: realDeps(),
    log,
    readEdge: () => readEdgeContext({ env }),
    environment,
  });
  const hub = new HubConnection(module.handlers(), {
    modelId: MODEL_ID,
    log,
    twinTimeoutMs: numberFromEnv(env, 'HUB_TWIN_TIMEOUT_MS', DEFAULT_HUB_OPTIONS.twinTimeoutMs),
    openTimeoutMs: numberFromEnv(env, 'HUB_OPEN_TIMEOUT_MS', DEFAULT_HUB_OPTIONS.openTimeoutMs),
    sendTimeoutMs: numberFromEnv(env, 'HUB_SEND_TIMEOUT_MS', DEFAULT_HUB_OPTIONS.sendTimeoutMs),
    queueCapacity: numberFromEnv(env, 'TELEMETRY_QUEUE_CAPACITY', DEFAULT_HUB_OPTIONS.queueCapacity),
    backoff: {
      baseMs: numberFromEnv(env, 'HUB_BACKOFF_BASE_MS', DEFAULT_HUB_OPTIONS.backoff.baseMs),
      capMs: numberFromEnv(env, 'HUB_BACKOFF_CAP_MS', DEFAULT_HUB_OPTIONS.backoff.capMs),
    },
  });
  module.attach(hub);
  // Signals are heard from here on, whatever the state: during the first-run wait below as much as later.
  const stopSignal = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  let stopRequested: string | undefined;
  void stopSignal.then((signal) => (stopRequested = signal));
  log.info(
    { version: moduleVersion(), device: id.deviceId, module: id.moduleId, hub: id.iothub },
    'privatelink-probe starting',
  );
  hub.start();
  // The first run waits for the desired properties, but not for long: when the link is down they never come.
  await Promise.race([
    module.twinRead,
    delay(numberFromEnv(env, 'FIRST_RUN_WAIT_MS', 15_000), undefined, { ref: false }),
    stopSignal,
  ]);
  if (stopRequested === undefined) module.start();

  // Stalled: no run completed for 3 intervals, or 3 worst-case runs (plus 5 s of slack each) when those are
  // longer, so a slow but healthy run on a short interval is not taken for a stall.
  const stalledAfter = () => {
    const { intervalSeconds } = module.snapshot();
    return 3 * Math.max(intervalSeconds * 1000, runBoundMs(module.timeoutMs()) + 5_000);
  };
  const lastProgressAt = () => {
    const { lastCompletedAt, startedAt } = module.snapshot();
    return lastCompletedAt ?? startedAt;
  };
  // IoT Edge ignores Docker health checks: a stalled scheduler must end the process so edgeAgent restarts it.
  const watchdog = startWatchdog({
    lastProgressAt,
    limitMs: stalledAfter,
    checkEveryMs: 10_000,
    onStall: (ms: number) => {
      log.fatal({ stalledMs: ms }, 'no probe run completed for 3 intervals; exiting so edgeAgent restarts the module');
      exitNow(1);
    },
  });
  const port = env.METRICS_PORT === undefined ? 9600 : Number(env.METRICS_PORT);
  // The local endpoints are for when the link is down; a busy port must not take the probe down with them.
  const http =
    Number.isInteger(port) && port > 0 && stopRequested === undefined
      ? await startHttpServer({
          port,
          host: env.METRICS_HOST ?? '0.0.0.0',
          snapshot: () => module.snapshot(),
          healthy: () => !watchdog.stalled(),
          log,
        }).catch((e: unknown) => {
          log.error(
            { err: e, port },
            'local HTTP endpoints unavailable (METRICS_PORT in use?); probing and reporting go on',
          );
          return undefined;
        })
      : undefined;

  const signal = await stopSignal;
  log.info({ signal }, 'stopping');
  // Whatever hangs below, the process ends by the deadline: edgeAgent kills a module that does not stop.
  const deadline = delay(EXIT_DEADLINE_MS, 'deadline', { ref: false });
  const stopped = (async () => {
    watchdog.stop();
    await module.stop(RUN_GRACE_MS);
    await hub.close(EXIT_DEADLINE_MS - RUN_GRACE_MS - 500);
    await http?.close();
    return 'stopped';
  })().catch((e: unknown) => {
    log.error({ err: e }, 'shutdown failed');
    return 'failed';
  });
  const outcome = await Promise.race([stopped, deadline]);
  if (outcome === 'deadline') log.warn({ afterMs: EXIT_DEADLINE_MS }, 'stopped before the shutdown completed');
  else log.info('stopped');
  return 0;
}
