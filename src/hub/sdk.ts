// The only file that calls into azure-iot-device: a client made the way IoT Edge expects, and promise
// wrappers that always pass a callback (a callback-less `reported.update` crashes later inside the SDK).
import device from 'azure-iot-device';
import { readCaFile } from '../ca-file.js';
import type { JsonObject } from '../config/json.js';
import common from 'azure-iot-common';
import mqtt from 'azure-iot-device-mqtt';
import mqttPacket from 'mqtt-packet';
import type { ModuleClient as SdkModuleClient, Twin } from 'azure-iot-device';

// Under Node's ESM loader the SDK's CommonJS exports are reached through the default export.
const { ModuleClient, Message, IotEdgeAuthenticationProvider } = device;
const { Mqtt } = mqtt;
const { NoRetry } = common;

// mqtt.js writes packets with mqtt-packet, which by default fills a cache of 65,536 two-byte Buffers, one per
// 16-bit number, before its first packet: 6.8 MB of heap held for the process's life (and marked by every full
// GC) to save a two-byte allocation per packet, at a few packets a minute here. Off, it allocates as it writes.
// Its documented switch: https://github.com/mqttjs/mqtt-packet#mqttwritetostreamobject-stream-opts (mqtt.js
// resolves this same copy; test/hub/sdk.test.ts holds that).
mqttPacket.writeToStream.cacheNumbers = false;
// It also caches, with no switch, the length prefix of every packet size under 16,384 it has written: 1–4 byte
// Buffers cut from Node's shared pool, each keeping its whole pool block alive (8 KB, 64 KB on Node 24). Messages
// that vary by a few bytes from run to run pin a new block every few runs, for good
// (https://github.com/mqttjs/mqtt-packet/issues/163). Without the pool (Buffer.poolSize is documented as
// settable), every small Buffer is an allocation of its own, so a cached prefix holds a few bytes.
Buffer.poolSize = 0;

export type ModuleClient = SdkModuleClient;
export type ModuleTwin = Twin;

export interface OutgoingMessage {
  data: string;
  contentType: 'application/json';
  contentEncoding: 'utf-8';
  properties: Record<string, string>;
  /** The Plug and Play component the message's telemetry belongs to; sent as `$.sub`. */
  component?: string;
}

/** Outside IoT Edge: a connection string in the environment (the SDK's own fallback). */
export function usesConnectionString(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.EdgeHubConnectionString || env.IotHubConnectionString);
}

/** The CA edgeHub's certificate chains to: the workload API's trust bundle, or EdgeModuleCACertificateFile. */
async function trustBundle(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (usesConnectionString(env))
    return env.EdgeModuleCACertificateFile ? readCaFile(env.EdgeModuleCACertificateFile) : undefined;
  const provider = new IotEdgeAuthenticationProvider({
    workloadUri: env.IOTEDGE_WORKLOADURI!,
    deviceId: env.IOTEDGE_DEVICEID!,
    moduleId: env.IOTEDGE_MODULEID!,
    iothubHostName: env.IOTEDGE_IOTHUBHOSTNAME!,
    authScheme: env.IOTEDGE_AUTHSCHEME!,
    gatewayHostName: env.IOTEDGE_GATEWAYHOSTNAME,
    generationId: env.IOTEDGE_MODULEGENERATIONID!,
  });
  return new Promise((resolve, reject) => provider.getTrustBundle((err, ca) => (err ? reject(err) : resolve(ca))));
}

/**
 * A new client over MQTT with the model id announced. `fromEnvironment` reads `process.env`; the model id
 * needs `setOptions`, which replaces the transport options and would drop the trust bundle, so
 * the CA is fetched and passed again with it.
 *
 * The SDK's own reconnection is switched off (NoRetry): it retries silently for minutes while the module
 * cannot tell, and what it restores is broken (twin subscriptions are not restored: azure-iot-sdk-node issue #1255). A lost connection is then a
 * `disconnect` event at once, and the connection makes a new client, which re-reads the twin.
 */
export async function createModuleClient(modelId: string): Promise<ModuleClient> {
  const client = await ModuleClient.fromEnvironment(Mqtt);
  client.setRetryPolicy(new NoRetry());
  const ca = await trustBundle(process.env);
  await client.setOptions({ ...(ca ? { ca } : {}), modelId });
  return client;
}

export function openClient(client: ModuleClient): Promise<unknown> {
  return new Promise((resolve, reject) => client.open((err, result) => (err ? reject(err) : resolve(result))));
}

export function closeClient(client: ModuleClient): Promise<unknown> {
  return new Promise((resolve, reject) => client.close((err, result) => (err ? reject(err) : resolve(result))));
}

export function getTwin(client: ModuleClient): Promise<ModuleTwin> {
  return new Promise((resolve, reject) =>
    client.getTwin((err, twin) => (err || !twin ? reject(err ?? new Error('no twin')) : resolve(twin))),
  );
}

/** IoT Hub answered a reported patch with an error status: it was refused, not lost on the way. */
export class ReportedRejectedError extends Error {
  constructor(message: string) {
    super(`IoT Hub refused the reported patch: ${message}`);
    this.name = 'ReportedRejectedError';
  }
}

/**
 * The SDK turns an error answer on the twin response topic (a body with `errorCode`) into a plain `Error`
 * carrying the hub's message, while transport failures arrive as its own error classes (NotConnectedError, …);
 * the plain one is told apart here, so the connection can drop a refused patch instead of sending it for ever.
 */
export function updateReported(twin: ModuleTwin, patch: JsonObject): Promise<void> {
  return new Promise((resolve, reject) =>
    twin.properties.reported.update(patch, (err: Error | undefined) => {
      if (!err) resolve();
      else reject(err.constructor === Error ? new ReportedRejectedError(err.message) : err);
    }),
  );
}

export function sendOutput(client: ModuleClient, output: string, message: OutgoingMessage): Promise<unknown> {
  const m = new Message(message.data);
  m.contentType = message.contentType;
  m.contentEncoding = message.contentEncoding;
  for (const [k, v] of Object.entries(message.properties)) m.properties.add(k, v);
  // As the SDK's Plug and Play samples do (device/samples/javascript/pnp_temperature_controller.js in
  // azure-iot-sdk-node): the MQTT transport writes it into the topic's property bag beside `$.on`.
  if (message.component !== undefined) m.properties.add('$.sub', message.component);
  return new Promise((resolve, reject) =>
    client.sendOutputEvent(output, m, (err, result) => (err ? reject(err) : resolve(result))),
  );
}

export type MethodHandler = (payload: unknown) => Promise<{ status: number; payload: unknown }>;

/**
 * Registers a direct method; a handler that throws answers 500 instead of leaving the caller waiting, with
 * `{ message }` like every other refusal (the shape the model declares for the commands' responses).
 */
export function onMethod(
  client: ModuleClient,
  name: string,
  handler: MethodHandler,
  onError: (e: unknown) => void,
): void {
  client.onMethod(name, (request, response) => {
    if (!request || !response) return;
    handler(request.payload)
      .catch((e: unknown) => ({ status: 500, payload: { message: (e as Error).message ?? String(e) } }))
      .then(({ status, payload }) => response.send(status, payload, (err) => err && onError(err)))
      .catch(onError);
  });
}
