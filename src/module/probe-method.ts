// The `probe` direct method: one ad-hoc target, not stored, at most one at a time. Every bad payload is a 400
// with a reason; the probe itself never throws. The payload is read by the readers of desired properties, so
// `host`, `ports` and `dnsServers` take what `targets.<name>.host`, `.ports` and `dns.servers` take, within
// the same limits (LIST_LIMITS), and the engine holds the target to the same rules.
import { isPlainObject, own } from '../config/json.js';
import { Faults, isAbsent, readField } from '../config/read.js';
import { readHost, readPorts } from '../config/targets.js';
import { readServers } from '../config/validate.js';
import type { ProbeDeps } from '../probe/deps.js';
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
export function parseProbePayload(
  payload: unknown,
  base: ProbeSettings,
): { target: TargetSpec; settings: ProbeSettings } | string {
  if (!isPlainObject(payload))
    return 'payload must be a JSON object such as {"host": "myhub.privatelink.azure-devices.net"}';
  const unknown = Object.keys(payload).filter((k) => !['host', 'ports', 'dnsServers'].includes(k));
  if (unknown.length > 0)
    return `unknown key ${unknown.map((k) => `'${k}'`).join(', ')}: expected host, ports, dnsServers`;
  const faults = new Faults();
  const host = readField(payload, [], 'host', undefined, (v, p) => readHost(v, p, faults));
  if (isAbsent(own(payload, 'host'))) faults.add(['host'], 'is required: the hostname or IP address to probe');
  const ports = readField(payload, [], 'ports', undefined, (v, p) => readPorts(v, p, faults));
  const dnsServers = readField(payload, [], 'dnsServers', undefined, (v, p) => readServers(v, p, faults));
  if (dnsServers?.length === 0)
    faults.add(
      ['dnsServers'],
      "must list at least one server: ip, ip:port or [ipv6]:port (leave it out for the module's own)",
    );
  if (faults.errors.length > 0 || host === undefined)
    return faults.errors.map((fault) => `${fault.path}: ${fault.message}`).join('; ');
  const target: TargetSpec = { name: 'adhoc', host, source: 'adhoc', ...(ports === undefined ? {} : { ports }) };
  return { target, settings: dnsServers === undefined ? base : { ...base, dnsServers } };
}

export function createProbeMethod(d: ProbeMethodDeps): (payload: unknown) => Promise<Result> {
  let busy = false;
  return async (payload) => {
    const parsed = parseProbePayload(payload, d.settings());
    if (typeof parsed === 'string') return bad(parsed);
    if (busy)
      return { status: 429, payload: { message: 'another ad-hoc probe is running; try again when it has finished' } };
    busy = true;
    try {
      const run = await runProbe([parsed.target], parsed.settings, d.deps);
      return { status: 200, payload: telemetryBody(run, d.context()) };
    } finally {
      busy = false;
    }
  };
}
