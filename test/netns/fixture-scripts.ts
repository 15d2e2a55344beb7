// The fixture hosts run as plain `node` inside the namespaces, where vitest's TypeScript loader is not:
// they are compiled with esbuild (a dev dependency) next to the tsc build output when the tier starts.
// Bundled with their imports from the repo; packages stay imports and resolve from the repo's node_modules.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CLI_ENTRY } from '../support/module-process.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const OUT = path.resolve(HERE, '../../dist/test/netns/fixtures');

export const ENDPOINT_HOST = path.join(OUT, 'endpoint-host.js');
export const EMULATOR_HOST = path.join(OUT, 'emulator-host.js');

export async function buildFixtureScripts(): Promise<void> {
  // The module and `check` run from the built entry point the image runs (CLI_ENTRY), as users run them.
  if (!existsSync(CLI_ENTRY))
    throw new Error(`${CLI_ENTRY} is missing: run npm run build && npm run bundle first (npm run test:netns does)`);
  await bundleFixtures(
    ['endpoint-host.ts', 'emulator-host.ts'].map((f) => path.join(HERE, 'fixtures', f)),
    OUT,
  );
}

/** Compiles fixture hosts written in TypeScript into `outdir`, for plain `node` (the container tier's too). */
export async function bundleFixtures(entryPoints: string[], outdir: string): Promise<void> {
  await build({
    entryPoints,
    outdir,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
}
