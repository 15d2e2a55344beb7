// The Dockerfile held to the package and to the bundle script, without a Docker engine: the base image and
// its build argument, the build steps, what the runtime stage copies and runs, as whom. Its steps are
// replayed for real in container-steps.test.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bundleStep,
  copies,
  environment,
  execForm,
  IMAGE_USERS,
  instructions,
  last,
  readDockerfile,
  ROOT,
} from './dockerfile.js';

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  engines: { node: string };
  scripts: Record<string, string>;
};
const bundleScript = readFileSync(path.join(ROOT, 'scripts', 'bundle.mjs'), 'utf8');
const dockerfileText = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const dockerfile = readDockerfile();
const build = dockerfile.stages.find((s) => s.name === 'build');
const runtime = dockerfile.stages.at(-1)!;

function scriptConstant(pattern: RegExp, what: string): string {
  const m = pattern.exec(bundleScript);
  if (!m) throw new Error(`cannot find ${what} in scripts/bundle.mjs`);
  return m[1]!;
}

describe('base image', () => {
  it('is one build argument, NODE_IMAGE, defaulting to the Node 24 Alpine image, for both stages', () => {
    expect(dockerfile.args.NODE_IMAGE).toBe('node:24-alpine');
    expect(dockerfile.stages.map((s) => s.image)).toEqual(['${NODE_IMAGE}', '${NODE_IMAGE}']);
  });

  it('builds the bundle once, on the build machine, and takes the runtime base for the target platform', () => {
    expect(build?.platform).toBe('$BUILDPLATFORM');
    expect(runtime.platform).toBeUndefined();
  });

  it('documents the arm32v7 build with the Node 22 image through that argument', () => {
    expect(dockerfileText).toMatch(/--platform linux\/arm\/v7 --build-arg NODE_IMAGE=node:22-alpine/);
  });

  it('runs a Node the package supports, on every platform: 24, and 22 for arm32v7', () => {
    const minimum = Number(/^>=(\d+)/.exec(pkg.engines.node)?.[1]);
    expect(minimum).toBeLessThanOrEqual(22);
    // The bundle is compiled for the oldest supported Node, so it runs on both images.
    expect(scriptConstant(/target: '(node\d+)'/, 'the esbuild target')).toBe(`node${minimum}`);
  });
});

describe('build stage', () => {
  it('installs from the lockfile before copying the sources, then builds and bundles', () => {
    expect(build).toBeDefined();
    const steps = build!.instructions.map((i) => `${i.keyword} ${i.args}`);
    const at = (step: string) => steps.indexOf(step);
    expect(at('COPY package.json package-lock.json ./')).toBeGreaterThan(-1);
    expect(at('RUN npm ci --no-audit --no-fund')).toBeGreaterThan(at('COPY package.json package-lock.json ./'));
    expect(at('COPY . .')).toBeGreaterThan(at('RUN npm ci --no-audit --no-fund'));
    expect(at('RUN npm run build')).toBeGreaterThan(at('COPY . .'));
    expect(pkg.scripts.build).toBeDefined();
    const bundle = bundleStep(build!);
    expect(at(`RUN node ${bundle.script} --outdir ${bundle.outdir}`)).toBeGreaterThan(at('COPY . .'));
  });

  it('bundles the source of the package bin: src/cli.ts, which tsc compiles to dist/src/cli.js', () => {
    const entry = scriptConstant(/entryPoints: \['([^']+)'\]/, 'entryPoints');
    expect(entry).toBe('src/cli.ts');
    expect(pkg.bin['privatelink-probe']).toBe(path.posix.join('dist', entry.replace(/\.ts$/, '.js')));
  });
});

describe('runtime stage', () => {
  it('copies the one file the bundle script writes, from the bundle step, and installs nothing', () => {
    const bundle = bundleStep(build!);
    const file = scriptConstant(/const BUNDLE_FILE = '([^']+)'/, 'BUNDLE_FILE');
    expect(copies(runtime)).toEqual([
      { from: 'build', sources: [path.posix.join(bundle.outdir, file)], destination: `/app/${file}` },
    ]);
    expect(instructions(runtime, 'RUN')).toEqual([]);
  });

  it('runs the copied bundle with node, in exec form so SIGTERM reaches node, from /app', () => {
    expect(last(runtime, 'WORKDIR')).toBe('/app');
    expect(execForm(last(runtime, 'ENTRYPOINT'))).toEqual([
      'node',
      '--max-semi-space-size=1',
      '--optimize-for-size',
      '--no-turbofan',
      '--no-maglev',
      '--disable-warning=DEP0169',
      copies(runtime)[0]!.destination,
    ]);
  });

  it('runs the module by default: CMD is the run command', () => {
    expect(execForm(last(runtime, 'CMD'))).toEqual(['run']);
    expect(readFileSync(path.join(ROOT, 'src', 'cli.ts'), 'utf8')).toContain("case 'run':");
  });

  it("runs as the Node image's non-root user, in production mode, with no HEALTHCHECK (edgeAgent ignores it)", () => {
    const user = last(runtime, 'USER');
    expect(user).toBe('node');
    expect(IMAGE_USERS[user!]!.uid).not.toBe(0);
    expect(environment(runtime)).toEqual({ NODE_ENV: 'production' });
    expect(dockerfile.stages.flatMap((s) => instructions(s, 'HEALTHCHECK'))).toEqual([]);
  });
});

describe('.dockerignore', () => {
  const patterns = readFileSync(path.join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  // Docker's rules for what this file uses: paths from the context root, `*` within one path segment,
  // `**` across segments, and a pattern that names a folder excludes everything in it.
  const excluded = (file: string) =>
    patterns.some((p) => {
      const body = p
        .replace(/^\//, '')
        .split('**')
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
        )
        .join('.*');
      return new RegExp(`^${body}(/.*)?$`).test(file);
    });

  it('uses no re-inclusion (!), which the check here does not model', () => {
    expect(patterns.filter((p) => p.startsWith('!'))).toEqual([]);
  });

  it('keeps registry credentials and generated manifests out of the build context', () => {
    for (const secret of ['.env', '.env.local', 'config/deployment.amd64.json'])
      expect(excluded(secret), secret).toBe(true);
  });

  it('keeps dependencies and build output out, so COPY . . cannot overwrite what npm ci installed', () => {
    for (const generated of [
      'node_modules/pino/package.json',
      'dist/src/cli.js',
      '.git/HEAD',
      'bench/results/run.json',
    ]) {
      expect(excluded(generated), generated).toBe(true);
    }
  });

  it('sends everything the build stage needs', () => {
    const buildConfig = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    const needed = [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'scripts/bundle.mjs',
      'src/cli.ts',
      'src/config/validate.ts',
    ];
    for (const dir of buildConfig.include) needed.push(`${dir}/any.ts`);
    expect(needed.filter(excluded)).toEqual([]);
  });
});
