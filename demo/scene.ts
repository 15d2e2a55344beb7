// The demo's world, all on loopback: a DNS server holding the private zones, TLS "private endpoints" on
// 127.0.2.x (the demo's block in landscape.ts), the edgeHub + workload API emulator, and the real module
// started through its real entry point with the environment edgeAgent gives a module (IOTEDGE_*, not a
// connection string).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator, type Emulator } from '../test/support/emulator/index.js';
import { edgeModuleEnv } from '../test/support/edge-module-env.js';
import { startLandscape, type Landscape } from '../test/support/landscape.js';
import type { ModuleProcess } from '../test/support/module-process.js';

export const HUB = 'contoso-hub.privatelink.azure-devices.net';
export const HUB_ENDPOINT = { address: '127.0.2.1', port: 8883 };
export const BLOB = 'contosostore.privatelink.blob.core.windows.net';
/** A documentation address: what the Blob name resolves to when the private zone is not reached. */
export const BLOB_PUBLIC_ADDRESS = '203.0.113.10';
export const ACR_PRIVATE = 'contosoacr.privatelink.azurecr.io';
export const ACR_PUBLIC = 'contosoacr.azurecr.io';
// ACR serves 443 in Azure, which only root may listen on. 8443 (https-alt) is unprivileged and a port the
// probe handshakes TLS on (catalogue isTlsPort), so the desired target names it explicitly.
export const ACR_ENDPOINT = { address: '127.0.2.3', port: 8443 };
/** Set by the demo's deployment (the default is 300 s) so the module visibly keeps probing. */
export const INTERVAL_SECONDS = 30;

const MODULE_STOP_MS = 10_000;

/**
 * The module runs from the build the demo belongs to: dist/src/cli.js, the package's `bin` (`npm run demo`
 * builds with tsc only; the container's bundle is the same code). PLP_CLI_ENTRY is how module-process.ts is
 * told which entry to start; it reads it once, when loaded, so it is loaded after this is set.
 */
async function moduleProcesses(): Promise<typeof import('../test/support/module-process.js')> {
  process.env.PLP_CLI_ENTRY ??= fileURLToPath(new URL('../src/cli.js', import.meta.url));
  return import('../test/support/module-process.js');
}

export interface Scene {
  land: Landscape;
  emu: Emulator;
  mod: ModuleProcess;
  /** The module's command line, as shown on screen. */
  moduleCommand: string;
  /** Stops the module (SIGTERM), then the emulator and the fixtures. Resolves with the module's exit code. */
  close(): Promise<number | null>;
}

export async function startScene(): Promise<Scene> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'plp-demo-'));
  const closers: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  let moduleExit: number | null = null;
  const close = async () => {
    // Newest first: the module stops while edgeHub can still take its last words.
    for (const closer of closers.splice(0).reverse()) await closer().catch(() => undefined);
    return moduleExit;
  };
  try {
    const land = await startLandscape();
    closers.push(() => land.close());
    await land.add({ name: 'iothub', host: HUB, address: HUB_ENDPOINT.address, fixedPorts: [HUB_ENDPOINT.port] });
    await land.add({ name: 'blob', host: BLOB, address: '127.0.2.2', dnsAnswer: BLOB_PUBLIC_ADDRESS });
    await land.add({
      name: 'acr',
      host: ACR_PRIVATE,
      address: ACR_ENDPOINT.address,
      fixedPorts: [ACR_ENDPOINT.port],
      certificate: 'public-name-only',
    });

    const emu = await startEmulator({ hubHostname: HUB, initialDesired: { intervalSeconds: INTERVAL_SECONDS } });
    closers.push(() => emu.close());

    const { CLI_ENTRY, startModuleProcess } = await moduleProcesses();
    // The module as edgeAgent starts it, pointed at the landscape's CA (standing in for a root Azure uses) and
    // its DNS server (never the machine's resolver), loopback playing the private range; no config.toml is
    // mounted (the default, and the safer choice: it can hold secrets); quick reconnects to the local edgeHub.
    const mod = startModuleProcess(
      edgeModuleEnv(emu, await land.moduleEnv(), { CONFIG_TOML_PATH: path.join(dir, 'config.toml') }),
    );
    closers.push(async () => {
      const kill = setTimeout(() => mod.child.kill('SIGKILL'), MODULE_STOP_MS);
      moduleExit = (await mod.stop('SIGTERM')).code;
      clearTimeout(kill);
    });
    return { land, emu, mod, moduleCommand: `node ${path.relative(process.cwd(), CLI_ENTRY)} run`, close };
  } catch (err) {
    await close();
    throw err;
  }
}
