// What every scenario file of the tier starts with: whether the tier can run here (outside CI it is skipped with
// a banner saying why; under CI it fails instead), a PATH for the processes it starts in namespaces, and the
// common setup: the fixture scripts built, what a killed run left swept, the namespaces made, a CA written to a
// temporary folder.
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createCa, type TestCa } from '../support/pki.js';
import { tierUnavailable } from './availability.js';
import { buildFixtureScripts } from './fixture-scripts.js';
import { createTopology, sweepStale, type Topology } from './topology.js';

export const unavailable = tierUnavailable();
const underCi = process.env.CI === 'true' || process.env.CI === '1';
export const skipped = unavailable !== undefined && !underCi;
if (skipped) {
  console.warn(
    `\n${'!'.repeat(100)}\n!! netns tier SKIPPED: ${unavailable}.\n!! Run it as root: bash .ci/netns.sh && npm run test:netns (under CI=true it fails instead of skipping)\n${'!'.repeat(100)}\n`,
  );
}

export const nodeEnv = (): Record<string, string> => ({
  PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
});

export interface Tier {
  topology: Topology;
  ca: TestCa;
  /** A temporary folder of the file's own, holding `caFile`; the file removes it. */
  dir: string;
  caFile: string;
}

export async function setUpTier(caName: string, tmpPrefix: string): Promise<Tier> {
  if (unavailable) throw new Error(`the netns tier cannot run, and CI never skips it: ${unavailable}`);
  await buildFixtureScripts();
  await sweepStale();
  const topology = await createTopology();
  const ca = await createCa(caName);
  const dir = await mkdtemp(path.join(os.tmpdir(), tmpPrefix));
  const caFile = path.join(dir, 'ca.pem');
  await writeFile(caFile, ca.certPem);
  return { topology, ca, dir, caFile };
}
