// The `probe` direct method: one ad-hoc target, not stored, at most one at a time (product.md §6).
// Every bad payload is a 400 with a reason; the probe itself never throws.
import { isPlainObject } from '../config/json.js';
import { parseList, parsePorts } from '../config/lists.js';
import type { ProbeDeps } from '../probe/deps.js';
import { isValidHost, normalizeHostname, parseServerEndpoint } from '../probe/hostname.js';
import { runProbe } from '../probe/run.js';
import type { ProbeSettings, TargetSpec } from '../probe/types.js';
import { telemetryBody, type TelemetryContext } from '../report/telemetry.js';

export interface ProbeMethodDeps {
  settings: () => ProbeSettings;
  deps: ProbeDeps;
  context: () => TelemetryContext;
}

type Result = { status: number; payload: unknown };
const bad = (message: string): Result => ({ status: 400, payload: { message } });

/** `{ host, ports?, dnsServers? }` → the target and settings to probe with, or the reason it is refused. */
export function parseProbePayload(payload: unknown, base: ProbeSettings): { target: TargetSpec; settings: ProbeSettings } | string {
  if (!isPlainObject(payload)) return 'payload must be a JSON object such as {"host": "myhub.privatelink.azure-devices.net"}';
  const unknown = Object.keys(payload).filter((k) => !['host', 'ports', 'dnsServers'].includes(k));
  if (unknown.length > 0) return `unknown key ${unknown.map((k) => `'${k}'`).join(', ')}: expected host, ports, dnsServers`;
  const { host, ports, dnsServers } = payload;
  if (typeof host !== 'string' || !isValidHost(host)) return `host must be a hostname or IP address, got ${JSON.stringify(host)?.slice(0, 80)}`;
  const target: TargetSpec = { name: 'adhoc', host: normalizeHostname(host), source: 'adhoc' };
  if (ports !== undefined && ports !== null) {
    const parsed = parsePorts(ports);
    if (typeof parsed === 'string') return `ports: ${parsed}`;
    target.ports = parsed;
  }
  const settings = { ...base };
  if (dnsServers !== undefined && dnsServers !== null) {
    const list = parseList(dnsServers);
    if (!list || list.length === 0) return 'dnsServers must be a list of IP or IP:PORT, as an array or a comma-separated string';
    const badServer = list.find((s) => !parseServerEndpoint(s));
    if (badServer !== undefined) return `dnsServers: '${badServer.slice(0, 80)}' is not IP or IP:PORT`;
    settings.dnsServers = list;
  }
  return { target, settings };
}

export function createProbeMethod(d: ProbeMethodDeps): (payload: unknown) => Promise<Result> {
  let busy = false;
  return async (payload) => {
    const parsed = parseProbePayload(payload, d.settings());
    if (typeof parsed === 'string') return bad(parsed);
    if (busy) return { status: 429, payload: { message: 'another ad-hoc probe is running; try again when it has finished' } };
    busy = true;
    try {
      const run = await runProbe([parsed.target], parsed.settings, d.deps);
      return { status: 200, payload: telemetryBody(run, d.context()) };
    } finally {
      busy = false;
    }
  };
}
