// What the IoT Edge runtime tells a module through its environment (the IOTEDGE_* variables edgeAgent sets),
// reduced to non-secret, validated values. Connection strings contribute their HostName (and ids) only.
import {
  connectionStringIdentity,
  proxyWithoutCredentials,
  safeDeviceId,
  safeHost,
  type ProxySetting,
} from './redact.js';
import { parseUpstreamProtocol, type UNRECOGNISED, type UpstreamProtocol } from './upstream-protocol.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface ModuleEnv {
  /** `IOTEDGE_IOTHUBHOSTNAME`, else the HostName of `EdgeHubConnectionString` / `IotHubConnectionString`. */
  iothubHostname?: string;
  /** Which variable `iothubHostname` came from. */
  iothubHostnameFrom?: 'IOTEDGE_IOTHUBHOSTNAME' | 'EdgeHubConnectionString' | 'IotHubConnectionString';
  /** `IOTEDGE_GATEWAYHOSTNAME` (edgeHub's host, possibly `host:port` in tests), else the connection string's. */
  gatewayHostname?: string;
  /** `IOTEDGE_PARENTHOSTNAME`: set by the runtime on a lower layer of nested edge. */
  parentHostname?: string;
  deviceId?: string;
  moduleId?: string;
  upstreamProtocol?: UpstreamProtocol | typeof UNRECOGNISED;
  /** `https_proxy` / `HTTPS_PROXY`, without credentials. */
  proxy?: ProxySetting;
  /** Variables that are set but hold no valid hostname; values not kept. */
  invalidFields: string[];
}

// A gateway may carry a port (`127.0.0.1:18883` in tests): host, optional port, nothing else.
function safeGateway(value: string): string | undefined {
  const v = value.trim();
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/i.exec(v);
  if (m === null) return safeHost(v);
  const host = safeHost(m[1]!.replace(/^\[|\]$/g, ''));
  if (host === undefined) return undefined;
  return m[2] === undefined ? host : `${m[1]!.startsWith('[') ? `[${host}]` : host}:${m[2]}`;
}

function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

/** Read the module's environment. Total: never throws, never keeps a key or signature. */
export function parseModuleEnv(env: Env): ModuleEnv {
  const invalid: string[] = [];
  const result: ModuleEnv = { invalidFields: invalid };

  for (const name of ['EdgeHubConnectionString', 'IotHubConnectionString'] as const) {
    const cs = env[name];
    if (!present(cs) || result.iothubHostnameFrom !== undefined) continue;
    const id = connectionStringIdentity(cs);
    if (id.hostName === undefined) {
      invalid.push(`${name} HostName`);
      continue;
    }
    result.iothubHostname = id.hostName;
    result.iothubHostnameFrom = name;
    result.deviceId = id.deviceId;
    result.moduleId = id.moduleId;
    result.gatewayHostname = id.gatewayHostName;
  }

  const hub = env['IOTEDGE_IOTHUBHOSTNAME'];
  if (present(hub)) {
    const host = safeHost(hub);
    if (host === undefined) invalid.push('IOTEDGE_IOTHUBHOSTNAME');
    else {
      result.iothubHostname = host;
      result.iothubHostnameFrom = 'IOTEDGE_IOTHUBHOSTNAME';
    }
  }
  const gateway = env['IOTEDGE_GATEWAYHOSTNAME'];
  if (present(gateway)) {
    const host = safeGateway(gateway);
    if (host === undefined) invalid.push('IOTEDGE_GATEWAYHOSTNAME');
    else result.gatewayHostname = host;
  }
  const parent = env['IOTEDGE_PARENTHOSTNAME'];
  if (present(parent)) {
    const host = safeHost(parent);
    if (host === undefined) invalid.push('IOTEDGE_PARENTHOSTNAME');
    else result.parentHostname = host;
  }
  result.deviceId = safeDeviceId(env['IOTEDGE_DEVICEID']) ?? result.deviceId;
  result.moduleId = safeDeviceId(env['IOTEDGE_MODULEID']) ?? result.moduleId;
  result.upstreamProtocol = parseUpstreamProtocol(env['UpstreamProtocol']);
  const proxy = env['https_proxy'] ?? env['HTTPS_PROXY'];
  if (present(proxy)) result.proxy = proxyWithoutCredentials(proxy);
  return result;
}
