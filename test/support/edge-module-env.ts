// The environment the end-to-end tests give the real module: what edgeAgent sets (from the emulator), the
// landscape's deployment-level DNS and trust defaults (so the module never asks the machine's resolver),
// MQTT upstream (the hub is probed on 8883, a port a loopback endpoint can open without root), short hub
// timeouts, and a config.toml path that does not exist unless a test names one.
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect } from 'vitest';
import type { Emulator } from './emulator/index.js';
import { trafficProblems } from './model-conformance.js';
import type { ModuleProcess } from './module-process.js';

/**
 * Spread into the overrides to leave LOG_FORMAT unset, as edgeAgent does (the IoT Edge line format):
 * startModuleProcess defaults it to json, and leaves out variables whose value is undefined.
 */
export const LOG_FORMAT_UNSET = { LOG_FORMAT: undefined };

export function edgeModuleEnv(
  emu: Emulator,
  landscapeEnv: Record<string, string>,
  over: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    ...emu.moduleEnv(),
    ...landscapeEnv,
    CONFIG_TOML_PATH: path.join(os.tmpdir(), 'plp-no-such-config.toml'),
    UpstreamProtocol: 'Mqtt',
    HUB_TWIN_TIMEOUT_MS: '2000',
    HUB_BACKOFF_BASE_MS: '200',
    HUB_BACKOFF_CAP_MS: '1000',
    ...over,
  };
}

/**
 * Registers an afterEach that kills every module started through the returned function and closes its
 * emulator, so a failing test leaves no process behind; then holds what the module sent to its Plug and Play
 * model, failing the test that made it send something the model does not describe.
 */
export function moduleCleanup(): (emu: Emulator, mod: ModuleProcess) => void {
  const running: Array<{ emu: Emulator; mod: ModuleProcess }> = [];
  afterEach(async () => {
    const problems: string[] = [];
    for (const { emu, mod } of running.splice(0)) {
      await mod.stop('SIGKILL');
      await emu.close();
      problems.push(...trafficProblems(emu));
    }
    expect(problems, 'what the module sent, against its Plug and Play model').toEqual([]);
  });
  return (emu, mod) => void running.push({ emu, mod });
}
