// Shared by the edge tests: the canary every fixture carries in its secret slots, fixture paths, a leak
// check, and the audit of a fixture through the real reader.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { auditEdge, type EdgeAudit } from '../../src/edge/audit.js';
import type { Env } from '../../src/edge/module-env.js';
import { readEdgeContext, type EdgeContext, type ReadFile } from '../../src/edge/read.js';
import type { HostnamePolicy, RunResult, TargetSpec } from '../../src/probe/types.js';

/** Written into every secret slot of every fixture; must never appear in any output. */
export const CANARY = 'CANARY-SECRET-6f1c';

export const PUBLIC_HUB = 'myhub.azure-devices.net';
export const PRIVATE_HUB = 'myhub.privatelink.azure-devices.net';

const here = path.dirname(fileURLToPath(import.meta.url));

export function fixture(name: string): string {
  return path.join(here, 'fixtures', name);
}

/** JSON of any value, Maps included (EdgeContext holds the hosts table as a Map). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v instanceof Map ? Object.fromEntries(v) : v));
}

/** What the runtime gives every module, plus secrets the audit must not carry. */
export function runtimeEnv(hub: string, extra: Env = {}): Env {
  return {
    IOTEDGE_IOTHUBHOSTNAME: hub,
    IOTEDGE_GATEWAYHOSTNAME: 'edge-01.factory.local',
    IOTEDGE_DEVICEID: 'edge-01',
    IOTEDGE_MODULEID: 'PrivateLinkProbe',
    IOTEDGE_WORKLOADURI: 'unix:///var/run/iotedge/workload.sock',
    IOTEDGE_AUTHSCHEME: 'sasToken',
    SOME_MODULE_SECRET: CANARY,
    ...extra,
  };
}

export interface Read {
  /** A fixture name, or an absolute path. */
  config: string;
  env: Env;
  resolv?: string;
  hosts?: string;
  readFile?: ReadFile;
}

async function readContext(r: Read): Promise<EdgeContext> {
  return readEdgeContext({
    configTomlPath: path.isAbsolute(r.config) ? r.config : fixture(r.config),
    resolvConfPath: fixture(r.resolv ?? 'docker-embedded.resolv.conf'),
    hostsPath: fixture(r.hosts ?? 'docker.hosts'),
    env: r.env,
    readFile: r.readFile,
  });
}

/** Audit through the real reader, asserting what must hold for every input: no secret, twin-safe texts. */
export async function audit(
  r: Read,
  policy: HostnamePolicy = 'privatelink',
  targets: TargetSpec[] = [],
  measured?: RunResult,
): Promise<EdgeAudit> {
  const ctx = await readContext(r);
  const result = auditEdge(ctx, { hostnamePolicy: policy, targets, measured });
  expect(toJson(ctx)).not.toContain(CANARY);
  expect(toJson(result)).not.toContain(CANARY);
  for (const finding of result.findings) {
    expect(Buffer.byteLength(finding.text)).toBeLessThanOrEqual(512);
    expect(finding.text).not.toMatch(/[\r\n]/);
  }
  return result;
}

export const ids = (a: EdgeAudit) => a.findings.map((f) => f.id).sort();
export const findingText = (a: EdgeAudit, id: string) => a.findings.find((f) => f.id === id)?.text ?? '';
