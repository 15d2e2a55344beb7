// A loopback stand-in for what an IoT Edge module talks to: edgeHub (MQTT over TLS: twin, direct methods,
// output messages) and the aziot workload API (trust bundle, signing). The real azure-iot-device ModuleClient
// connects to it unchanged, through the IoT Edge environment or through a connection string.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCa } from '../pki.js';
import { checkModuleConnect, type ModuleIdentity } from './module-auth.js';
import { MqttBroker } from './mqtt-broker.js';
import { decodeTelemetry, moduleEventsPrefix, type CapturedMessage } from './telemetry.js';
import { mergePatch, reportedPatchProblem, type JsonObject } from './twin-document.js';
import { Waiters, type Predicate } from './waiters.js';
import { startWorkloadApi, type WorkloadApi } from './workload-api.js';

export interface EmulatorOptions {
  /** Loopback address for both listeners. Default 127.0.0.1. */
  host?: string;
  /** edgeHub's MQTT-over-TLS port; 0 (default) = ephemeral. restart() keeps the port. */
  mqttPort?: number;
  /** What IOTEDGE_IOTHUBHOSTNAME says. Default 'test-hub.azure-devices.net'. */
  hubHostname?: string;
  /** Default 'edge-device-1'. */
  deviceId?: string;
  /** Default 'PrivateLinkProbe'. */
  moduleId?: string;
  /** IOTEDGE_MODULEGENERATIONID. Default a random id. */
  generationId?: string;
  /** The module's base64 SAS key. Default 32 random bytes. */
  moduleKey?: string;
  initialDesired?: Record<string, unknown>;
  /**
   * How the workload API listens: 'unix' (default — what IoT Edge does, IOTEDGE_WORKLOADURI=unix:///...sock)
   * or 'http' (a loopback port, IOTEDGE_WORKLOADURI=http://127.0.0.1:<port>/). The SDK handles both.
   */
  workloadTransport?: 'unix' | 'http';
}

export interface TwinState {
  desired: Record<string, unknown>;
  reported: Record<string, unknown>;
  desiredVersion: number;
  reportedVersion: number;
}

/** One twin request as edgeHub received it; status is undefined when stallTwin swallowed it. */
export interface TwinRequest {
  method: 'GET' | 'PATCH';
  rid: string;
  status: number | undefined;
  /** For a PATCH: the patch body as sent. */
  body?: unknown;
}

export interface Emulator {
  /** Env for a module process inside IoT Edge (see README in this folder). */
  moduleEnv(): Record<string, string>;
  /** Env for a module outside IoT Edge: EdgeHubConnectionString + EdgeModuleCACertificateFile. */
  connectionStringEnv(): Record<string, string>;
  readonly caPem: string;
  /** Base64 SAS key: the workload API signs with it and the broker verifies tokens against it. */
  readonly moduleKey: string;
  readonly identity: ModuleIdentity & { generationId: string };
  readonly mqttPort: number;
  readonly twin: TwinState;
  /** Merge-patches desired (null deletes), bumps $version, pushes the patch with its $version. */
  patchDesired(patch: Record<string, unknown>): void;
  /** Invokes a direct method; rejects after timeoutMs (default 30 s, IoT Hub's default response timeout). */
  invokeMethod(name: string, payload: unknown, timeoutMs?: number): Promise<{ status: number; payload: unknown }>;
  /** The module's answers to invokeMethod, in arrival order. */
  readonly methodAnswers: Array<{ name: string; status: number; payload: unknown }>;
  /** Output messages in arrival order. */
  readonly messages: CapturedMessage[];
  /** Accepted reported patches, with the reported $version each produced. */
  readonly reportedPatches: Array<{ patch: Record<string, unknown>; version: number }>;
  /** Reported patches IoT Hub would refuse (answered with status 400), and why. */
  readonly rejectedReportedPatches: Array<{ patch: unknown; reason: string }>;
  /** Every twin GET/PATCH received, in order. */
  readonly twinRequests: TwinRequest[];
  /** `model-id` of each accepted CONNECT that carried one. */
  readonly modelIds: string[];
  /** Refused CONNECTs and why (wrong key, expired token, wrong clientId or username...). */
  readonly authFailures: string[];
  /** Topic filters the connected module is subscribed to right now. */
  readonly subscriptions: string[];
  /**
   * Resolves with the predicate's value once it returns anything but undefined/null/false. The predicate is
   * checked now and after every emulator event (message, twin request, connect, disconnect, subscription);
   * state that only the client sees is not an emulator event. Rejects after timeoutMs (default 10 s).
   */
  waitFor<T>(predicate: Predicate<T>, timeoutMs?: number, what?: string): Promise<T>;
  readonly connected: boolean;
  /** Successful CONNECTs since start. */
  readonly connections: number;
  /** Destroys the client sockets; the broker keeps the sessions. */
  dropConnections(): void;
  /**
   * Stops and starts the broker on the same port. keepSessions (default true) keeps the persistent sessions;
   * false forgets every subscription, like an edgeHub restart that lost them (SDK defect #1).
   */
  restart(opts?: { keepSessions?: boolean }): Promise<void>;
  /** While on, the MQTT listener is closed (ECONNREFUSED, like a stopped edgeHub); existing connections stay. */
  refuseConnections(on: boolean): Promise<void>;
  /** While on, twin GET and reported PATCH requests get no response. */
  stallTwin(on: boolean): void;
  /** While on, new connections complete TLS but CONNECT is never answered (a hung edgeHub); existing ones stay. */
  hangConnects(on: boolean): void;
  /** Publishes a raw payload on a twin topic: default the desired-patch topic (SDK defect #6 with bad JSON). */
  sendRawOnTwinTopic(payload: string, topic?: string): void;
  close(): Promise<void>;
}

const TWIN_GET = /^\$iothub\/twin\/GET\/\?(.*)$/;
const TWIN_PATCH_REPORTED = /^\$iothub\/twin\/PATCH\/properties\/reported\/\?(.*)$/;
const METHOD_RESPONSE = /^\$iothub\/methods\/res\/(\d+)\/\?(.*)$/;

interface PendingMethod {
  name: string;
  resolve(result: { status: number; payload: unknown }): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

class LoopbackEdgeEmulator implements Emulator {
  readonly messages: CapturedMessage[] = [];
  readonly reportedPatches: Array<{ patch: Record<string, unknown>; version: number }> = [];
  readonly methodAnswers: Array<{ name: string; status: number; payload: unknown }> = [];
  readonly rejectedReportedPatches: Array<{ patch: unknown; reason: string }> = [];
  readonly twinRequests: TwinRequest[] = [];
  readonly modelIds: string[] = [];
  readonly authFailures: string[] = [];
  readonly twin: TwinState;
  private broker!: MqttBroker;
  private workload!: WorkloadApi;
  private readonly waiters = new Waiters();
  private readonly pendingMethods = new Map<string, PendingMethod>();
  private readonly eventsPrefix: string;
  private nextMethodRid = 1;
  private twinStalled = false;
  private closing: Promise<void> | undefined;

  constructor(
    readonly identity: ModuleIdentity & { generationId: string },
    readonly moduleKey: string,
    readonly caPem: string,
    private readonly host: string,
    private readonly dir: string,
    initialDesired: Record<string, unknown>,
  ) {
    // A new twin starts at $version 1 in both sections.
    this.twin = { desired: structuredClone(initialDesired), reported: {}, desiredVersion: 1, reportedVersion: 1 };
    this.eventsPrefix = moduleEventsPrefix(identity.deviceId, identity.moduleId);
  }

  async start(serverCert: { certPem: string; keyPem: string }, mqttPort: number, workload: 'unix' | 'http') {
    await writeFile(this.caFile, this.caPem);
    this.workload = await startWorkloadApi({
      moduleId: this.identity.moduleId,
      generationId: this.identity.generationId,
      moduleKey: this.moduleKey,
      trustBundlePem: this.caPem,
      listen: workload === 'unix' ? { socketPath: path.join(this.dir, 'workload.sock') } : { host: this.host },
    });
    try {
      this.broker = await MqttBroker.start({
        host: this.host,
        port: mqttPort,
        cert: serverCert.certPem,
        key: serverCert.keyPem,
        hooks: {
          authenticate: (clientId, username, password) => this.authenticate(clientId, username, password),
          published: (topic, payload) => this.onPublish(topic, payload),
          changed: () => this.waiters.notify(),
        },
      });
    } catch (err) {
      await this.workload.close();
      throw err;
    }
  }

  private get caFile(): string {
    return path.join(this.dir, 'edge-ca.pem');
  }

  private get gatewayHost(): string {
    const host = net.isIPv6(this.host) ? `[${this.host}]` : this.host;
    return `${host}:${this.broker.port}`;
  }

  get mqttPort(): number {
    return this.broker.port;
  }

  get connected(): boolean {
    return this.broker.connected;
  }

  get connections(): number {
    return this.broker.connections;
  }

  get subscriptions(): string[] {
    return this.broker.subscriptions;
  }

  moduleEnv(): Record<string, string> {
    return {
      IOTEDGE_WORKLOADURI: this.workload.uri,
      IOTEDGE_IOTHUBHOSTNAME: this.identity.hubHostname,
      IOTEDGE_GATEWAYHOSTNAME: this.gatewayHost,
      IOTEDGE_DEVICEID: this.identity.deviceId,
      IOTEDGE_MODULEID: this.identity.moduleId,
      IOTEDGE_MODULEGENERATIONID: this.identity.generationId,
      IOTEDGE_AUTHSCHEME: 'sasToken',
      IOTEDGE_APIVERSION: '2019-01-30',
    };
  }

  connectionStringEnv(): Record<string, string> {
    const { hubHostname, deviceId, moduleId } = this.identity;
    return {
      EdgeHubConnectionString:
        `HostName=${hubHostname};GatewayHostName=${this.gatewayHost};DeviceId=${deviceId};` +
        `ModuleId=${moduleId};SharedAccessKey=${this.moduleKey}`,
      EdgeModuleCACertificateFile: this.caFile,
    };
  }

  patchDesired(patch: Record<string, unknown>): void {
    mergePatch(this.twin.desired, patch);
    this.twin.desiredVersion++;
    const version = this.twin.desiredVersion;
    this.broker.publish(
      `$iothub/twin/PATCH/properties/desired/?$version=${version}`,
      JSON.stringify({ ...patch, $version: version }),
    );
    this.waiters.notify();
  }

  invokeMethod(name: string, payload: unknown, timeoutMs = 30_000): Promise<{ status: number; payload: unknown }> {
    if (this.closing) return Promise.reject(new Error('emulator: closed'));
    const rid = (this.nextMethodRid++).toString(16);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingMethods.delete(rid);
        reject(new Error(`emulator: method ${name} got no response within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pendingMethods.set(rid, { name, resolve, reject, timer });
      const body = payload === undefined ? '' : JSON.stringify(payload);
      this.broker.publish(`$iothub/methods/POST/${name}/?$rid=${rid}`, body);
    });
  }

  waitFor<T>(predicate: Predicate<T>, timeoutMs = 10_000, what = 'the awaited condition'): Promise<T> {
    return this.waiters.waitFor(predicate, timeoutMs, what);
  }

  dropConnections(): void {
    this.broker.dropConnections();
  }

  restart(opts: { keepSessions?: boolean } = {}): Promise<void> {
    return this.broker.restart(opts.keepSessions ?? true);
  }

  refuseConnections(on: boolean): Promise<void> {
    return this.broker.refuseConnections(on);
  }

  stallTwin(on: boolean): void {
    this.twinStalled = on;
  }

  hangConnects(on: boolean): void {
    this.broker.hangConnects(on);
  }

  sendRawOnTwinTopic(payload: string, topic?: string): void {
    this.broker.publish(
      topic ?? `$iothub/twin/PATCH/properties/desired/?$version=${this.twin.desiredVersion}`,
      payload,
    );
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Error('emulator: closed');
      for (const pending of this.pendingMethods.values()) {
        clearTimeout(pending.timer);
        pending.reject(closed);
      }
      this.pendingMethods.clear();
      this.waiters.rejectAll(closed);
      await Promise.all([this.broker.close(), this.workload.close()]);
      await rm(this.dir, { recursive: true, force: true });
    })();
    return this.closing;
  }

  private authenticate(clientId: string, username: string | undefined, password: Buffer | undefined) {
    const verdict = checkModuleConnect(
      this.identity,
      this.moduleKey,
      { clientId, username, password },
      Math.floor(Date.now() / 1000),
    );
    if (!verdict.ok) {
      this.authFailures.push(verdict.reason);
      this.waiters.notify();
      return verdict.reason;
    }
    if (verdict.modelId !== undefined) this.modelIds.push(verdict.modelId);
    return undefined;
  }

  private onPublish(topic: string, payload: Buffer): void {
    let match: RegExpExecArray | null;
    if (topic.startsWith(this.eventsPrefix)) {
      this.messages.push(decodeTelemetry(this.eventsPrefix, topic, payload));
    } else if ((match = TWIN_GET.exec(topic))) {
      this.onTwinGet(new URLSearchParams(match[1]).get('$rid') ?? '');
    } else if ((match = TWIN_PATCH_REPORTED.exec(topic))) {
      this.onReportedPatch(new URLSearchParams(match[1]).get('$rid') ?? '', payload);
    } else if ((match = METHOD_RESPONSE.exec(topic))) {
      this.onMethodResponse(Number(match[1]), new URLSearchParams(match[2]).get('$rid') ?? '', payload);
    }
    this.waiters.notify();
  }

  private onTwinGet(rid: string): void {
    const request: TwinRequest = { method: 'GET', rid, status: undefined };
    this.twinRequests.push(request);
    if (this.twinStalled) return;
    request.status = 200;
    const { desired, reported, desiredVersion, reportedVersion } = this.twin;
    this.broker.publish(
      `$iothub/twin/res/200/?$rid=${rid}`,
      JSON.stringify({
        desired: { ...desired, $version: desiredVersion },
        reported: { ...reported, $version: reportedVersion },
      }),
    );
  }

  private onReportedPatch(rid: string, payload: Buffer): void {
    let patch: unknown;
    try {
      patch = JSON.parse(payload.toString('utf8'));
    } catch {
      patch = payload.toString('utf8');
    }
    const request: TwinRequest = { method: 'PATCH', rid, status: undefined, body: patch };
    this.twinRequests.push(request);
    if (this.twinStalled) return;
    const problem = typeof patch === 'string' ? 'body is not JSON' : reportedPatchProblem(this.twin.reported, patch);
    if (problem) {
      request.status = 400;
      this.rejectedReportedPatches.push({ patch, reason: problem });
      // IoT Hub's error body; the SDK fails the update with `message` when `errorCode` is present.
      this.broker.publish(`$iothub/twin/res/400/?$rid=${rid}`, JSON.stringify({ errorCode: 400004, message: problem }));
      return;
    }
    mergePatch(this.twin.reported, patch as JsonObject);
    this.twin.reportedVersion++;
    request.status = 204;
    this.reportedPatches.push({ patch: patch as JsonObject, version: this.twin.reportedVersion });
    this.broker.publish(`$iothub/twin/res/204/?$rid=${rid}&$version=${this.twin.reportedVersion}`, '');
  }

  private onMethodResponse(status: number, rid: string, payload: Buffer): void {
    const pending = this.pendingMethods.get(rid);
    if (!pending) return;
    this.pendingMethods.delete(rid);
    clearTimeout(pending.timer);
    const text = payload.toString('utf8');
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the string
    }
    this.methodAnswers.push({ name: pending.name, status, payload: body });
    pending.resolve({ status, payload: body });
  }
}

/** Starts the workload API and the edgeHub broker (with a fresh CA and server certificate) on loopback. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const identity = {
    hubHostname: options.hubHostname ?? 'test-hub.azure-devices.net',
    deviceId: options.deviceId ?? 'edge-device-1',
    moduleId: options.moduleId ?? 'PrivateLinkProbe',
    // Shaped like IoT Edge's (18 digits, .NET ticks).
    generationId:
      options.generationId ?? `63${(randomBytes(8).readBigUInt64BE() % 10n ** 16n).toString().padStart(16, '0')}`,
  };
  const ca = await createCa('privatelink-probe emulator edge CA');
  // edgeHub's certificate, valid for every way a test may address the loopback broker.
  const serverCert = await ca.issue({
    commonName: 'edgeHub',
    dnsNames: ['localhost'],
    ipAddresses: [...new Set([host, '127.0.0.1', '::1'])],
  });
  // Short: a unix socket path must fit in 108 bytes.
  const dir = await mkdtemp(path.join(tmpdir(), 'plp-emu-'));
  const emulator = new LoopbackEdgeEmulator(
    identity,
    options.moduleKey ?? randomBytes(32).toString('base64'),
    ca.certPem,
    host,
    dir,
    options.initialDesired ?? {},
  );
  try {
    await emulator.start(serverCert, options.mqttPort ?? 0, options.workloadTransport ?? 'unix');
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return emulator;
}
