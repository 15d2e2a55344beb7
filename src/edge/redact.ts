// Values the runtime configuration carries next to secrets: connection strings (with SharedAccessKey) and
// proxy URLs (with user:password@). These functions keep only the parts the audit needs, validated, so no
// secret can ride along in a field that later reaches the twin, telemetry, logs or `check` output.
import { isValidHost, normalizeHostname } from '../probe/hostname.js';
import { parseProxyUrl } from '../probe/proxy-settings.js';

/** Keys the runtime and the SDK read from an IoT Hub connection string, spelled as they require. */
export type ConnectionStringKey = 'HostName' | 'DeviceId' | 'ModuleId' | 'GatewayHostName' | 'SharedAccessKey';
const KEYS: readonly ConnectionStringKey[] = ['HostName', 'DeviceId', 'ModuleId', 'GatewayHostName', 'SharedAccessKey'];

/** The non-secret identity fields of an IoT Hub connection string. */
export interface ConnectionStringIdentity {
  hostName?: string;
  deviceId?: string;
  moduleId?: string;
  gatewayHostName?: string;
  /** Known keys present as spelled above, whatever their value (SharedAccessKey's is never read). */
  present: ConnectionStringKey[];
  /** Known keys written in another case (`hostname=`): the runtime and the SDK match keys exactly, so they miss them. */
  miscased: ConnectionStringKey[];
}

// IoT Hub device and module ids: up to 128 of letters, digits and `-.%_*?!(),:=@$'`.
const DEVICE_ID = /^[A-Za-z0-9\-.%_*?!(),:=@$']{1,128}$/;

/** A device or module id when it has the shape IoT Hub allows; anything else is not kept. */
export function safeDeviceId(value: unknown): string | undefined {
  return typeof value === 'string' && DEVICE_ID.test(value) ? value : undefined;
}

/** A hostname or IP literal, normalized; undefined when the value is not one (it is then never echoed). */
export function safeHost(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const host = normalizeHostname(value);
  return isValidHost(host) ? host : undefined;
}

/**
 * `HostName=...;DeviceId=...;SharedAccessKey=...` → HostName, DeviceId, ModuleId and GatewayHostName only.
 * Every other value (SharedAccessKey, SharedAccessSignature, x509 ...) is dropped unread. Keys are matched
 * case-sensitively, as aziot-identityd and the azure-iot-common parser do.
 */
export function connectionStringIdentity(text: string): ConnectionStringIdentity {
  const identity: ConnectionStringIdentity = { present: [], miscased: [] };
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const written = part.slice(0, eq).trim();
    const key = KEYS.find((k) => k.toLowerCase() === written.toLowerCase());
    if (key === undefined) continue;
    if (key !== written) {
      if (!identity.miscased.includes(key)) identity.miscased.push(key);
      continue;
    }
    if (!identity.present.includes(key)) identity.present.push(key);
    const value = part.slice(eq + 1).trim();
    if (key === 'HostName') identity.hostName = safeHost(value);
    else if (key === 'DeviceId') identity.deviceId = safeDeviceId(value);
    else if (key === 'ModuleId') identity.moduleId = safeDeviceId(value);
    else if (key === 'GatewayHostName') identity.gatewayHostName = safeHost(value);
  }
  return identity;
}

/** A proxy setting as the audit keeps it: `http://host:port`, or no URL when the value did not parse. */
export interface ProxySetting {
  url?: string;
}

/**
 * `http://user:password@proxy:3128/` → `http://proxy:3128`, read by the probe's own parser (parseProxyUrl), so
 * the audit and the probe agree on what a value means: a value without a scheme is read as http, as curl and the
 * runtime do, and the port is always shown (80 when the value has none). What the probe cannot use (another
 * scheme, a path, a malformed user information or host) keeps no part of the value.
 */
export function proxyWithoutCredentials(raw: string): ProxySetting {
  const parsed = parseProxyUrl(raw);
  return typeof parsed === 'string' ? {} : { url: parsed.url };
}
