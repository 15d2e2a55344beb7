#!/usr/bin/env node
// The production bundle: src/cli.ts and every runtime dependency in one ES module, so the
// container's runtime stage copies one file and no node_modules (`npm install --omit=dev` of the SDK
// alone is 59 MB). Usage: node scripts/bundle.mjs [--outdir DIR]   (default dist/bundle)
// Writes DIR/privatelink-probe.mjs (the whole payload), its source map and esbuild's metafile
// (meta.json: which inputs went in, for tests and size analysis), and prints the payload size.
import { build } from 'esbuild';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import process from 'node:process';
import { gzipSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUNDLE_FILE = 'privatelink-probe.mjs';

// azure-iot-device requires @azure/storage-blob (and, through it, HTTP, XML and cookie libraries) lazily,
// inside DeviceClient.uploadToBlob, which a ModuleClient does not have. Left out, the bundle is 0.9 MB
// instead of 2.1 MB. Should anything ever call it, the require fails loudly.
const NEVER_LOADED = ['@azure/storage-blob'];

// The demo (an emulated edgeHub on aedes, a test PKI on @peculiar/x509) runs from a source checkout.
// The CLI may reach it by dynamic import only; that import stays unresolved in the bundle, so in the
// image it fails to load instead of shipping the demo. A static import is a build error.
const DEMO_ONLY_PACKAGE = /^(aedes|@peculiar\/x509)(\/|$)/;
const DEMO_ONLY_DIRS = ['demo', 'test', 'bench'].map((dir) => path.join(root, dir) + path.sep);

// Node's built-in modules are loaded through require(), as the CommonJS dependencies already load them. An ES
// import of a built-in builds its ES module facade, and building that reads every export, lazy ones included: for
// node:http that is WebSocket, CloseEvent and MessageEvent, whose first read loads Node's bundled undici (about
// 15 MB more resident memory on Node 24, for a client the module never uses). The same cost, measured as time:
// https://github.com/nodejs/node/issues/59686
const BUILTIN = new RegExp(`^(node:)?(${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`);

/** @type {import('esbuild').Plugin} */
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(b) {
    b.onResolve({ filter: BUILTIN }, (args) =>
      args.kind === 'import-statement' ? { path: args.path, namespace: 'builtin' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};

/** @type {import('esbuild').Plugin} */
const demoStaysOut = {
  name: 'demo-stays-out',
  setup(b) {
    const keepOut = (args, what) =>
      args.kind === 'dynamic-import'
        ? { path: args.path, external: true }
        : {
            errors: [
              {
                text: `${path.relative(root, args.importer)} imports demo-only ${what} statically: production code may reach it only by dynamic import`,
              },
            ],
          };
    b.onResolve({ filter: DEMO_ONLY_PACKAGE }, (args) => keepOut(args, args.path));
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = path.resolve(args.resolveDir, args.path);
      return DEMO_ONLY_DIRS.some((dir) => target.startsWith(dir))
        ? keepOut(args, path.relative(root, target))
        : undefined;
    });
  },
};

const { values } = parseArgs({ options: { outdir: { type: 'string', default: path.join(root, 'dist', 'bundle') } } });
const outdir = path.resolve(values.outdir);
const outfile = path.join(outdir, BUNDLE_FILE);
const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8'));
await rm(outdir, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  // The oldest Node the package supports (engines); the images run 24, or 22 on arm32v7.
  target: 'node20',
  minify: true,
  // The SDK compares class names (`policy.constructor.name === 'NoRetry'`): minified names would break that.
  keepNames: true,
  // Not copied into the image: kept beside the build output to map a logged stack trace back to the source.
  sourcemap: 'external',
  // The SDK and its dependencies are CommonJS: their require() calls need a real require in an ES module.
  banner: {
    js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);",
  },
  // The image has no package.json: the module reads its version from here (src/main.ts moduleVersion).
  define: { 'process.env.npm_package_version': JSON.stringify(version) },
  external: NEVER_LOADED,
  plugins: [demoStaysOut, builtinsByRequire],
  metafile: true,
  logLevel: 'warning',
}).catch(() => process.exit(1)); // esbuild has printed the errors
await writeFile(path.join(outdir, 'meta.json'), JSON.stringify(result.metafile));

const code = await readFile(outfile);
const kB = (n) => `${(n / 1000).toFixed(1)} kB`;
const shown = path.relative(process.cwd(), outfile);
process.stdout.write(
  `${shown.startsWith('..') ? outfile : shown}: ${kB(code.length)} (${kB(gzipSync(code).length)} gzipped), the runtime image's whole payload\n`,
);
