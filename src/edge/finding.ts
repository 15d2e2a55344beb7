// A finding of the runtime audit and the rule that makes it, in the shape of `iotedge check`'s checks: each rule
// has a stable id and a severity, reads what the audit gathered, and gives the finding's text when it fires.
// The rules live in rules/, one file per subject, and run in the order rules/index.ts lists them.
import type { HostnamePolicy, RunResult, TargetSpec } from '../probe/types.js';
import type { EdgeRuntimeConfig } from './config-toml.js';
import type { EdgeContext } from './read.js';

/** Stable ids: the twin keys findings by them, dashboards and fleet queries use them. Extend, never rename. */
export const FINDING_IDS = [
  'CONFIG_TOML_NOT_MOUNTED',
  'CONFIG_TOML_UNREADABLE',
  'CONFIG_TOML_INVALID',
  'PROVISIONING_INVALID',
  'INVALID_HOSTNAME',
  'HUB_PUBLIC_NAME',
  'HUB_PRIVATELINK_NAME',
  'HUB_CUSTOM_NAME',
  'UPSTREAM_IP_ADDRESS',
  'HUB_NAME_MISMATCH',
  'DPS_GLOBAL_ENDPOINT_PUBLIC',
  'DPS_PRIVATELINK_ENDPOINT',
  'DPS_INSTANCE_NAME',
  'NESTED_EDGE',
  'AGENT_IMAGE_PUBLIC_REGISTRY',
  'AGENT_REGISTRY_NO_CREDENTIALS',
  'UPSTREAM_PROTOCOL_UNRECOGNISED',
  'PROXY_CONFIGURED',
  'PROXY_WITHOUT_WEBSOCKETS',
  'HOSTS_PINNED',
  'NO_RESOLVER',
  'DOCKER_EMBEDDED_DNS',
  'CLOCK_SKEW',
] as const;
export type FindingId = (typeof FINDING_IDS)[number];

export type Severity = 'info' | 'warning' | 'error';

export interface EdgeFinding {
  id: FindingId;
  severity: Severity;
  /** One line that names the fix, at most 512 bytes (a twin string). */
  text: string;
}

/** What every rule reads: gathered once by the audit. */
export interface AuditInput {
  ctx: EdgeContext;
  /** config.toml as parsed, when it was found and parsed. */
  config: EdgeRuntimeConfig | undefined;
  policy: HostnamePolicy;
  /** This run's results, when the audit runs after the probe: hub-name advice then follows what TLS measured. */
  measured: RunResult | undefined;
  /** The hub the runtime connects to: the env's name, else config.toml's. */
  hub: string | null;
  /** Nested edge: the parent device, which is then the upstream instead of the hub. */
  parent: string | undefined;
  /** The upstream connection's ports, from `UpstreamProtocol`. */
  ports: number[];
  /** What the run probes: the automatic targets and the desired (or CLI) ones. */
  probed: TargetSpec[];
}

export interface Rule {
  id: FindingId;
  severity: Severity;
  /** The finding's text when the rule fires, else undefined. */
  check(input: AuditInput): string | undefined;
}

const MAX_TEXT_BYTES = 512;

/** Cut to 512 UTF-8 bytes on a character boundary, marking the cut. */
export function clip(text: string): string {
  if (Buffer.byteLength(text) <= MAX_TEXT_BYTES) return text;
  let out = '';
  for (const ch of text) {
    if (Buffer.byteLength(out + ch) + Buffer.byteLength('…') > MAX_TEXT_BYTES) break;
    out += ch;
  }
  return `${out}…`;
}
