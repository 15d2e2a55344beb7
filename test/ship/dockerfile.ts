// The Dockerfile as data, for the tests that hold it to the package and replay its steps without a Docker
// engine. Handles what a Dockerfile of this project uses: comments, line continuations, global ARGs with
// defaults, named stages, and the JSON (exec) form of ENTRYPOINT and CMD.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repositoryRoot } from '../support/module-process.js';

/** The checkout, from the sources or from their build under dist/ (the bench reads the image's flags). */
export const ROOT = repositoryRoot();

export interface Instruction {
  keyword: string;
  args: string;
}

export interface Stage {
  /** The image as written, e.g. `${NODE_IMAGE}`. */
  image: string;
  /** The image with the ARGs' defaults, e.g. `node:24-alpine`. */
  from: string;
  /** FROM's `--platform=` as written, e.g. `linux/arm/v7` or `$BUILDPLATFORM`. */
  platform?: string;
  name?: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  args: Record<string, string | undefined>;
  stages: Stage[];
}

/** A Dockerfile of the checkout, by its path from the root: `Dockerfile` (docker buildx) or `Dockerfile.<platform>`. */
export function readDockerfile(name = 'Dockerfile'): Dockerfile {
  return parseDockerfile(readFileSync(path.join(ROOT, name), 'utf8'));
}

export function parseDockerfile(text: string): Dockerfile {
  const args: Record<string, string | undefined> = {};
  const stages: Stage[] = [];
  for (const line of logicalLines(text)) {
    const m = /^(\S+)\s*(.*)$/.exec(line)!;
    const keyword = m[1]!.toUpperCase();
    const rest = m[2]!;
    if (keyword === 'FROM') {
      const from = /^(?:--platform=(\S+)\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (!from) throw new Error(`cannot read FROM ${rest}`);
      const [, platform, image, name] = from;
      stages.push({
        image: image!,
        from: expand(image!, args),
        ...(platform ? { platform } : {}),
        ...(name ? { name } : {}),
        instructions: [],
      });
    } else if (stages.length === 0) {
      if (keyword !== 'ARG') throw new Error(`${keyword} before the first FROM`);
      const arg = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(rest);
      if (!arg) throw new Error(`cannot read ARG ${rest}`);
      args[arg[1]!] = arg[2];
    } else {
      stages.at(-1)!.instructions.push({ keyword, args: rest });
    }
  }
  return { args, stages };
}

/** Instructions without comments and blank lines, continuation lines joined. */
function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      continue;
    }
    lines.push((pending + line).trim());
    pending = '';
  }
  if (pending.trim() !== '') lines.push(pending.trim());
  return lines;
}

function expand(text: string, args: Record<string, string | undefined>): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (whole, braced?: string, bare?: string) => {
      const value = args[(braced ?? bare)!];
      if (value === undefined) throw new Error(`${whole} has no default`);
      return value;
    },
  );
}

/** The instructions of a stage with this keyword. */
export function instructions(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** The last instruction of a kind wins in Docker (WORKDIR, USER, ENTRYPOINT, CMD). */
export function last(stage: Stage, keyword: string): string | undefined {
  return instructions(stage, keyword).at(-1);
}

/** ENTRYPOINT and CMD in exec form: a JSON array of strings. The shell form is refused. */
export function execForm(args: string | undefined): string[] {
  const parsed: unknown = args === undefined ? undefined : JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`not exec form: ${args}`);
  return parsed;
}

/** The flags the image's ENTRYPOINT gives Node: everything between `node` and the bundle. */
export function imageNodeFlags(dockerfile: Dockerfile = readDockerfile()): string[] {
  return execForm(last(dockerfile.stages.at(-1)!, 'ENTRYPOINT')).slice(1, -1);
}

/** `ENV K=V [K2=V2]` of a stage. */
export function environment(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const args of instructions(stage, 'ENV')) {
    for (const pair of args.split(/\s+/)) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(pair);
      if (!m) throw new Error(`cannot read ENV ${args}`);
      env[m[1]!] = m[2]!;
    }
  }
  return env;
}

export interface Copy {
  from?: string;
  sources: string[];
  destination: string;
}

export function copies(stage: Stage): Copy[] {
  return instructions(stage, 'COPY').map((args) => {
    const words = args.split(/\s+/);
    const flags = words.filter((w) => w.startsWith('--'));
    const paths = words.filter((w) => !w.startsWith('--'));
    const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
    return { ...(from ? { from } : {}), sources: paths.slice(0, -1), destination: paths.at(-1)! };
  });
}

/** The build stage's bundle step, `RUN node <script> --outdir <dir>`: the tests replay it. */
export function bundleStep(stage: Stage): { script: string; outdir: string } {
  const steps = instructions(stage, 'RUN').flatMap((run) => {
    const m = /^node (scripts\/bundle\.mjs) --outdir (\/\S+)$/.exec(run);
    return m ? [{ script: m[1]!, outdir: m[2]! }] : [];
  });
  if (steps.length !== 1)
    throw new Error(
      `expected one 'RUN node scripts/bundle.mjs --outdir /DIR' in stage ${stage.name}, found ${steps.length}`,
    );
  return steps[0]!;
}

/** Users of the official Node images: `node` is uid and gid 1000. */
export const IMAGE_USERS: Readonly<Record<string, { uid: number; gid: number }>> = { node: { uid: 1000, gid: 1000 } };
