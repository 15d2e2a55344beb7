// The stage of every fault scenario. Per file, a loopback landscape: the hub's private endpoint on port 8883
// of an address in 127.0.3.0/24 (this tier's range, see landscape.ts) and the DNS server that answers for it.
// Per test, an emulated edgeHub and the real module — the bundle, as a child process — connected to it, with
// its local HTTP endpoints on a loopback port. Whatever a test starts is killed and closed after it.
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll } from 'vitest';
import { edgeModuleEnv, moduleCleanup } from '../support/edge-module-env.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../support/emulator/index.js';
import { freePort } from '../support/free-port.js';
import { startLandscape, type Landscape } from '../support/landscape.js';
import { startModuleProcess, type ModuleProcess } from '../support/module-process.js';

export const HUB = 'faults-hub.privatelink.azure-devices.net';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface StartOptions {
  emulator?: EmulatorOptions;
  /** Module environment over edgeModuleEnv's; undefined unsets a variable. */
  env?: Record<string, string | undefined>;
  /** Node options before the bundle (test instrumentation). */
  nodeArgs?: string[];
  /** Puts the emulator in a fault before the module starts. */
  setUp?: (emu: Emulator) => void | Promise<void>;
}

export interface Staged {
  emu: Emulator;
  mod: ModuleProcess;
  /** The module's METRICS_PORT on 127.0.0.1 (/healthz, /status). */
  metricsPort: number;
}

export interface Rig {
  /** Available once the file's beforeAll has run. */
  readonly land: Landscape;
  start(options?: StartOptions): Promise<Staged>;
}

export function faultRig(options: { dnsLatencyMs?: number } = {}): Rig {
  let land: Landscape | undefined;
  let landscapeEnv: Record<string, string> = {};
  const track = moduleCleanup();
  beforeAll(async () => {
    land = await startLandscape(options);
    await addHubEndpoint(land);
    landscapeEnv = await land.moduleEnv();
  });
  afterAll(() => land?.close());
  return {
    get land() {
      if (!land) throw new Error('the landscape starts in beforeAll');
      return land;
    },
    async start({ emulator, env = {}, nodeArgs = [], setUp }: StartOptions = {}) {
      const emu = await startEmulator({ hubHostname: HUB, ...emulator });
      try {
        await setUp?.(emu);
      } catch (e) {
        await emu.close();
        throw e;
      }
      const metricsPort = await freePort();
      const mod = startModuleProcess(
        edgeModuleEnv(emu, landscapeEnv, { METRICS_PORT: String(metricsPort), METRICS_HOST: '127.0.0.1', ...env }),
        ['run'],
        nodeArgs,
      );
      track(emu, mod);
      return { emu, mod, metricsPort };
    },
  };
}

/**
 * The hub's endpoint listens on 8883, the port the module probes for MQTT upstream, at the first address of
 * the tier's range that has it free: so a second run of the tier on the same machine does not collide.
 */
async function addHubEndpoint(land: Landscape): Promise<void> {
  for (let host = 1; ; host++) {
    try {
      await land.add({ name: 'iothub', host: HUB, address: `127.0.3.${host}`, fixedPorts: [8883] });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || host >= 254) throw e;
    }
  }
}

export const reported = (emu: Emulator): Json => emu.twin.reported as Json;

/** The probeResults messages edgeHub received, in order. */
export const resultBodies = (emu: Emulator): Json[] =>
  emu.messages.filter((m) => m.output === 'probeResults').map((m) => m.body as Json);

/** The runIds of the runs the module logged as completed, in order (every run logs one line). */
export const loggedRunIds = (mod: ModuleProcess): string[] =>
  mod.lines.filter((l) => l.includes('"msg":"probe run ')).map((l) => (JSON.parse(l) as Json).runId as string);

/** One GET on the module's local endpoint; rejects when no answer comes within timeoutMs. */
export async function localGet(
  port: number,
  path: string,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, body: await response.text() };
}

/** The exit budget in every state: edgeAgent waits this long after its stop signal before it kills a module. */
export const EXIT_LIMIT_MS = 5_000;

/**
 * Sends the signal and waits for the exit, but not for ever: a process that ignores it (a livelocked event
 * loop) is reported as still running after twice the exit budget, and is killed by the rig after the test.
 */
export async function stopWithin(
  mod: ModuleProcess,
  signal: NodeJS.Signals,
): Promise<{ code: number | null | 'still running'; ms: number }> {
  const waited = await Promise.race([mod.stop(signal), delay(2 * EXIT_LIMIT_MS).then(() => undefined)]);
  return waited ?? { code: 'still running', ms: 2 * EXIT_LIMIT_MS };
}

/** `promise`, or a rejection naming `what` after `ms` (for waits that have no deadline of their own). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const timeout = delay(ms).then(() => Promise.reject(new Error(`${what} did not happen within ${ms} ms`)));
  return Promise.race([promise, timeout]);
}
