// How IoT Hub / edgeHub authenticate a module over MQTT with a SAS token, and how the aziot workload API
// signs one. Written from the azure-iot-device sources (sak_authentication_provider, shared_access_signature,
// azure-iot-device-mqtt _getBaseTransportConfig) so the emulator accepts exactly what the real SDK sends.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface ModuleIdentity {
  hubHostname: string;
  deviceId: string;
  moduleId: string;
}

/** base64(HMAC-SHA256(base64-decoded key, data)): the workload API's `sign` and IoT Hub's SAS check. */
export function hmacSha256Base64(keyBase64: string, data: Buffer | string): string {
  return createHmac('sha256', Buffer.from(keyBase64, 'base64')).update(data).digest('base64');
}

/** The resource a module's SAS token must be scoped to (before URL encoding). */
export function moduleResource(identity: ModuleIdentity): string {
  return `${identity.hubHostname}/devices/${identity.deviceId}/modules/${identity.moduleId}`;
}

interface SasFields {
  sr: string;
  sig: string;
  se: string;
}

function parseSasToken(token: string): SasFields | undefined {
  const prefix = 'SharedAccessSignature ';
  if (!token.startsWith(prefix)) return undefined;
  const fields = new Map<string, string>();
  for (const part of token.slice(prefix.length).split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const sr = fields.get('sr');
  const sig = fields.get('sig');
  const se = fields.get('se');
  return sr !== undefined && sig !== undefined && se !== undefined ? { sr, sig, se } : undefined;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Why `token` does not authenticate `identity` with `keyBase64` at `nowSeconds`, or undefined when it does. */
export function sasTokenProblem(
  token: string,
  identity: ModuleIdentity,
  keyBase64: string,
  nowSeconds: number,
): string | undefined {
  const sas = parseSasToken(token);
  if (!sas) return 'password is not a "SharedAccessSignature sr=...&sig=...&se=..." token';
  const resource = moduleResource(identity);
  // IoT Hub compares the resource case-insensitively (host names are case-insensitive).
  if (safeDecode(sas.sr).toLowerCase() !== resource.toLowerCase()) {
    return `token is scoped to "${safeDecode(sas.sr)}", not "${resource}"`;
  }
  const expiry = Number(sas.se);
  if (!Number.isInteger(expiry)) return `token expiry "${sas.se}" is not a number of seconds`;
  if (expiry <= nowSeconds) return `token expired at ${new Date(expiry * 1000).toISOString()}`;
  // The SDK signs the *encoded* sr exactly as it appears in the token: `${sr}\n${se}`.
  const expected = Buffer.from(hmacSha256Base64(keyBase64, `${sas.sr}\n${sas.se}`));
  const given = Buffer.from(safeDecode(sas.sig));
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return 'signature does not match the module key';
  }
  return undefined;
}

export type ConnectVerdict = { ok: true; modelId: string | undefined } | { ok: false; reason: string };

/**
 * Checks an MQTT CONNECT the way edgeHub does for a module: clientId `<device>/<module>`, username
 * `<hub>/<device>/<module>/?api-version=...[&model-id=...][&DeviceClientType=...]`, password a SAS token.
 */
export function checkModuleConnect(
  identity: ModuleIdentity,
  keyBase64: string,
  connect: { clientId: string; username: string | undefined; password: Buffer | undefined },
  nowSeconds: number,
): ConnectVerdict {
  const clientId = `${identity.deviceId}/${identity.moduleId}`;
  if (connect.clientId !== clientId)
    return { ok: false, reason: `clientId "${connect.clientId}" is not "${clientId}"` };
  const username = connect.username ?? '';
  const split = username.indexOf('?');
  const path = (split < 0 ? username : username.slice(0, split)).replace(/\/$/, '');
  const expectedPath = `${identity.hubHostname}/${clientId}`;
  if (path.toLowerCase() !== expectedPath.toLowerCase()) {
    return { ok: false, reason: `username "${username}" does not start with "${expectedPath}/?"` };
  }
  const query = new URLSearchParams(split < 0 ? '' : username.slice(split + 1));
  if (!query.get('api-version')) return { ok: false, reason: `username "${username}" has no api-version` };
  if (!connect.password) return { ok: false, reason: 'no password (SAS token) given' };
  const problem = sasTokenProblem(connect.password.toString('utf8'), identity, keyBase64, nowSeconds);
  if (problem) return { ok: false, reason: problem };
  return { ok: true, modelId: query.get('model-id') ?? undefined };
}
