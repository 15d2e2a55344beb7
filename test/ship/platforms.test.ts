// The builds iotedgedev and the VS Code extension make: one platform at a time, from the Dockerfile
// module.json names for it, with no per-platform build arguments. Each must hold an image of its platform, and
// the tags must agree between what the tools push, what the deployment template resolves to, what the layered
// deployment names and what the README tells an operator to run.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { execForm, last, readDockerfile, ROOT, type Dockerfile, type Instruction } from './dockerfile.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const read = (file: string): Json => JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as Json;

const moduleJson = read('module.json');
const layered = read('deployment.layered.json');
const template = read('deployment.template.json');
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** module.json's platforms, the OCI platform of each image, and the Node image it runs on. */
const PLATFORMS = {
  amd64: { oci: 'linux/amd64', node: 'node:24-alpine' },
  arm64v8: { oci: 'linux/arm64', node: 'node:24-alpine' },
  // Node 24 publishes no arm32v7 image.
  arm32v7: { oci: 'linux/arm/v7', node: 'node:22-alpine' },
} as const;
type Platform = keyof typeof PLATFORMS;
const platforms = Object.keys(PLATFORMS) as Platform[];
const INSPECTOR = '--inspect=0.0.0.0:9229';

const repository: string = moduleJson.image.repository;
const version: string = moduleJson.image.tag.version;
/** The tag iotedgedev builds and puts in the template for a module.json platform (iotedgedev/modules.py). */
const toolTag = (platform: string) => `${repository.toLowerCase()}:${version}-${platform}`;
/** The one tag for every platform. */
const multiPlatformTag = `${repository}:${version}`;

/** Every instruction of every stage, with FROM lines as written: what two Dockerfiles must share. */
function steps(dockerfile: Dockerfile): string[] {
  const line = (i: Instruction) => `${i.keyword} ${i.args}`;
  return dockerfile.stages.flatMap((s) => [
    `FROM ${s.image}${s.name ? ` AS ${s.name}` : ''}`,
    ...s.instructions.map(line),
  ]);
}

/** The steps of the multi-platform build (docker buildx); a per-platform build differs in its FROM platforms only. */
const buildxSteps = () => steps(readDockerfile('Dockerfile'));

describe('module.json', () => {
  it('names Dockerfile.<platform> for amd64, arm64v8 and arm32v7 and a .debug variant of each, all present', () => {
    const expected = Object.fromEntries(
      platforms.flatMap((p) => [
        [p, `./Dockerfile.${p}`],
        [`${p}.debug`, `./Dockerfile.${p}.debug`],
      ]),
    );
    expect(moduleJson.image.tag.platforms).toEqual(expected);
    for (const file of Object.values(expected)) expect(existsSync(path.join(ROOT, file)), file).toBe(true);
  });
});

describe.each(platforms)('Dockerfile.%s', (platform) => {
  const release = readDockerfile(`Dockerfile.${platform}`);
  const debug = readDockerfile(`Dockerfile.${platform}.debug`);
  const { oci, node } = PLATFORMS[platform];

  it.each([
    ['release', release],
    ['debug', debug],
  ] as const)(`%s: runtime base is ${node} for ${oci}, whatever machine builds it`, (_, dockerfile) => {
    expect(dockerfile.args.NODE_IMAGE).toBe(node);
    expect(dockerfile.stages.at(-1)).toMatchObject({ image: '${NODE_IMAGE}', platform: oci });
  });

  it.each([
    ['release', release],
    ['debug', debug],
  ] as const)(
    "%s: builds on the build machine, without $BUILDPLATFORM (Docker's legacy builder, which iotedgedev drives, cannot expand it)",
    (_, dockerfile) => {
      expect(dockerfile.stages[0]).toMatchObject({ name: 'build', image: '${NODE_IMAGE}' });
      expect(dockerfile.stages[0]!.platform).toBeUndefined();
    },
  );

  it('has exactly the steps of the buildx Dockerfile', () => {
    expect(steps(release)).toEqual(buildxSteps());
  });

  it('debug: the release steps plus the inspector on 9229, exposed', () => {
    const runtime = debug.stages.at(-1)!;
    const [node, ...rest] = execForm(last(release.stages.at(-1)!, 'ENTRYPOINT'));
    expect(execForm(last(runtime, 'ENTRYPOINT'))).toEqual([node, INSPECTOR, ...rest]);
    const withoutDebug = steps(debug).filter((s) => s !== 'EXPOSE 9229' && !s.startsWith('ENTRYPOINT '));
    expect(withoutDebug).toEqual(buildxSteps().filter((s) => !s.startsWith('ENTRYPOINT ')));
    expect(steps(debug)).toContain('EXPOSE 9229');
  });
});

describe('image tags', () => {
  it('the layered deployment names the one tag for every platform', () => {
    const module = layered.content.modulesContent.$edgeAgent['properties.desired.modules.PrivateLinkProbe'];
    expect(module.settings.image).toBe(multiPlatformTag);
  });

  it('the README makes that tag from exactly the tags the tools push, one per release platform', () => {
    const fromTools = /^docker buildx imagetools create -t (\S+) (.+)$/m.exec(readme);
    expect(fromTools, 'an imagetools create command in the README').not.toBeNull();
    expect(fromTools![1]).toBe(multiPlatformTag);
    // iotedgedev lowercases the repository; the registry placeholder is filled in before the tags reach a registry.
    expect(fromTools![2]!.split(' ').map((t) => t.toLowerCase())).toEqual(platforms.map(toolTag));
  });

  it("the README shows debug createOptions: the template's plus the inspector port, exposed and published", () => {
    const block = /### Debug[\s\S]*?```json\n([\s\S]*?)```/.exec(readme);
    expect(block, 'a json block under ### Debug').not.toBeNull();
    const options =
      template.modulesContent.$edgeAgent['properties.desired'].modules.PrivateLinkProbe.settings.createOptions;
    expect(JSON.parse(block![1]!)).toEqual({
      ...options,
      ExposedPorts: { ...options.ExposedPorts, '9229/tcp': {} },
      HostConfig: { ...options.HostConfig, PortBindings: { '9229/tcp': [{ HostPort: '9229' }] } },
    });
  });
});

describe('.gitignore', () => {
  // `git check-ignore --no-index` applies the checkout's ignore rules to paths whether or not they exist.
  const ignored = (file: string) => {
    try {
      execFileSync('git', ['check-ignore', '--no-index', '-q', file], { cwd: ROOT, stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };

  it("keeps iotedgedev's registry credentials (.env) and generated manifests (config/) out of git", () => {
    expect(ignored('.env')).toBe(true);
    expect(ignored('config/deployment.amd64.json')).toBe(true);
  });

  it('still tracks the source folder named config', () => {
    expect(ignored('src/config/validate.ts')).toBe(false);
  });
});
