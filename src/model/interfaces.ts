// The module's IoT Plug and Play model, built from the code it describes: the verdict codes from CODE_STATUS,
// the desired keys from DESIRED_KEYS, every object from the type of what is sent. `model/` holds it as the tools
// read it (a models repository: dtmi/privatelinkprobe/*.json), and a test keeps that copy equal to this one.
//
// Two interfaces. The root one has what the twin and the direct methods carry: the desired keys as writable
// properties (the acknowledgement's `value` follows their schema), the reported sections, the commands. The
// `messages` component has the output messages' top-level keys as telemetry (results, summary and alert bodies
// share it): DTDL allows a name once per interface, and `targets` and `edge` are both properties and
// telemetry. DTDL v2 rather than v3: docs/plug-and-play.md says why.
import { PORT_STEPS, stepTimeKey, type StepTimeKey } from '../probe/steps.js';
import type { AckEntry } from '../config/acknowledge.js';
import { DESIRED_KEYS, TELEMETRY_DETAIL_MODES, type DesiredKey, type FlappingConfig, type TelemetryConfig } from '../config/model.js';
import type { EdgeAudit } from '../edge/audit.js';
import { FINDING_IDS, type EdgeFinding, type Severity } from '../edge/finding.js';
import type { UpstreamState, UpstreamView } from '../report/snapshot.js';
import {
  CODE_STATUS,
  HOSTNAME_POLICIES,
  KINDS,
  type AddressClass,
  type ClassifiedAddress,
  type ClockReading,
  type Cloud,
  type DnsOutcome,
  type NameForm,
  type Overall,
  type ProxyOutcome,
  type ServiceOutcome,
  type ServiceProtocol,
  type Status,
  type TcpOutcome,
  type TlsOutcome,
} from '../probe/types.js';
import { ALERT_SCHEMA, type AlertBody } from '../report/alerts.js';
import type { HistoryEntry, HistorySummary, HistoryView } from '../report/history.js';
import type { ReportedDns, ReportedEdge, ReportedPort, ReportedStatus, ReportedTarget } from '../report/reported.js';
import {
  RESULT_SCHEMA,
  SUMMARY_SCHEMA,
  type TelemetryAnswer,
  type TelemetryBody,
  type TelemetryCert,
  type TelemetryDns,
  type TelemetryEdge,
  type TelemetryPort,
  type TelemetryProxy,
  type TelemetryService,
  type TelemetryTarget,
  type TelemetryTls,
  type TelemetryTunnelTls,
} from '../report/telemetry.js';
import { array, command, component, enumOf, every, iface, map, object, property, telemetry, type Described, type Interface } from './dtdl.js';
import { MESSAGES_COMPONENT, MESSAGES_INTERFACE_ID, MODEL_ID } from './ids.js';

// ---- vocabularies ----------------------------------------------------------------------------------------

const code = enumOf(Object.keys(CODE_STATUS));
const status = enumOf(every<Status>()(['healthy', 'degraded', 'unhealthy']));
const overall = enumOf(every<Overall>()(['healthy', 'degraded', 'unhealthy', 'unknown']));
const kind = enumOf(KINDS);
const cloud = enumOf(every<Cloud>()(['public', 'china', 'usgov', 'unknown']));
const nameForm = enumOf(every<NameForm>()(['privatelink', 'public', 'ip', 'custom']));
const upstreamForm = enumOf(every<EdgeAudit['upstream']['form']>()(['privatelink', 'public', 'ip', 'custom', 'unknown']));
const addressClass = enumOf(every<AddressClass>()(['private', 'public', 'loopback', 'link-local', 'other']));
const dnsOutcome = enumOf(
  every<DnsOutcome>()(['ok', 'nxdomain', 'servfail', 'temporary-failure', 'refused', 'timeout', 'no-answer', 'cname-loop', 'cname-too-long', 'malformed', 'error']),
);
const tcpOutcome = enumOf(every<TcpOutcome>()(['ok', 'refused', 'timeout', 'unreachable', 'reset', 'error']));
const tlsOutcome = enumOf(every<TlsOutcome>()(['ok', 'hostname-mismatch', 'untrusted', 'expired', 'not-yet-valid', 'timeout', 'stalled', 'failed']));
const serviceProtocol = enumOf(every<ServiceProtocol>()(['mqtt', 'amqp', 'https']));
const serviceOutcome = enumOf(every<ServiceOutcome>()(['ok', 'blocked', 'foreign', 'skipped']));
const proxyOutcome = enumOf(every<ProxyOutcome>()(['ok', 'unreachable', 'auth-required', 'denied', 'upstream-failed', 'bypassed']));
const configToml = enumOf(every<EdgeAudit['configToml']>()(['found', 'not-mounted', 'unreadable']));
const severity = enumOf(every<Severity>()(['info', 'warning', 'error']));
const upstreamState = enumOf(every<UpstreamState>()(['connecting', 'connected', 'disconnected', 'closed']));

// ---- the output messages: results (full and summary) and alerts --------------------------------------------

const flapping = object<NonNullable<TelemetryTarget['flapping']>>({
  changes: 'integer',
  window: 'integer',
  measured: { schema: code, description: 'The verdict the last run measured.' },
});

const target = object<TelemetryTarget>({
  name: 'string',
  host: 'string',
  kind,
  cloud,
  status,
  code: { schema: code, description: 'Stable verdict code, e.g. DNS_PUBLIC_ADDRESS.' },
  reason: { schema: 'string', description: 'One line that names the fix.' },
  addresses: { schema: array(object<ClassifiedAddress>({ address: 'string', family: 'integer', class: addressClass, private: 'boolean' })), description: 'The addresses connections use.' },
  addressesTotal: { schema: 'integer', description: 'How many there were, when the list was cut.' },
  dns: object<TelemetryDns>({
    form: nameForm,
    resolver: { schema: 'string', description: "Whose answer connections use: 'system' or a server's ip:port." },
    cname: array('string'),
    cnameTotal: 'integer',
    private: { schema: 'boolean', description: 'Every address in use is inside the private ranges.' },
    mismatch: { schema: 'boolean', description: 'The resolvers gave different addresses.' },
    ms: 'double',
    counterpart: { schema: 'string', description: 'x.privatelink.<zone> for x.<zone>, and the other way round.' },
  }),
  flapping: { schema: flapping, description: 'While the code is FLAPPING.' },
});

const answer = object<TelemetryAnswer>({
  target: 'string',
  counterpart: { schema: 'boolean', description: "True: the answer about the target's counterpart name, not its host." },
  resolver: 'string',
  outcome: dnsOutcome,
  addresses: array('string'),
  addressesTotal: 'integer',
  rcode: 'string',
  cname: array('string'),
  cnameTotal: 'integer',
  ttl: 'integer',
  ms: 'double',
  error: 'string',
});

/** A handshake's fields but its address, certificate and counterpart handshake: what the tunnel's has too. */
const handshake: { [K in keyof TelemetryTunnelTls]-?: Described } = {
  outcome: tlsOutcome,
  ms: 'double',
  protocol: 'string',
  cipher: 'string',
  azureRoot: { schema: 'boolean', description: 'The chain ends in a root Azure uses (else TLS inspection is suspected).' },
  error: 'string',
  bytesReceived: { schema: 'integer', description: "On a TLS timeout or stall: the bytes the server had sent (more than zero: stalled, its flight cut in transit)." },
  sameCertAs: { schema: 'integer', description: "Instead of cert: the port of this target that showed the same certificate." },
};

const service = {
  schema: object<TelemetryService>({
    protocol: serviceProtocol,
    outcome: { schema: serviceOutcome, description: 'blocked: no answer, or closed after the request; foreign: something that is not the service answered.' },
    ms: 'double',
    detail: { schema: 'string', description: 'What answered, e.g. CONNACK 5, or why it is blocked or skipped.' },
  }),
  description: "The credential-free exchange of the port's protocol after a verified handshake (MQTT CONNECT, the AMQP header, an HTTPS GET).",
};

const port = object<TelemetryPort>({
  target: 'string',
  port: 'integer',
  ok: { schema: 'boolean', description: 'Reachable and verified.' },
  code,
  reason: 'string',
  skipped: { schema: 'boolean', description: "Not connected to: the target's DNS verdict failed or gave no address." },
  tcp: { schema: array(object<TelemetryPort['tcp'][number]>({ address: 'string', outcome: tcpOutcome, ms: 'double', error: 'string' })), description: 'One per address connected to.' },
  tcpTotal: 'integer',
  tls: object<TelemetryTls>({
    address: 'string',
    ...handshake,
    cert: object<TelemetryCert>({
      notAfter: 'dateTime',
      daysLeft: 'integer',
      subject: 'string',
      issuer: 'string',
      sans: { schema: 'string', description: "DNS and IP subject alternative names, joined with ','." },
      sansTotal: 'integer',
      notBefore: 'dateTime',
      chainTop: 'string',
    }),
    counterpart: { schema: object<NonNullable<TelemetryTls['counterpart']>>({ outcome: tlsOutcome, ms: 'double', error: 'string' }), description: 'On a hostname mismatch, the handshake with the counterpart name.' },
  }),
  service,
  proxy: {
    schema: object<TelemetryProxy>({
      url: { schema: 'string', description: 'The proxy, http://host:port (never with user information).' },
      outcome: { schema: proxyOutcome, description: "The CONNECT's outcome; bypassed: NO_PROXY exempts the name, the port went direct." },
      status: { schema: 'integer', description: 'The proxy\'s HTTP status to CONNECT.' },
      ms: 'double',
      error: 'string',
      tls: { schema: object<TelemetryTunnelTls>(handshake), description: 'The handshake through the tunnel (its certificate as sameCertAs, or in the reason).' },
      service: { ...service, description: 'The exchange through the tunnel.' },
    }),
    description: "On 443 behind a proxy: CONNECT through it, then TLS and the service exchange through the tunnel, as the runtime's upstream goes. The port's ok, code and reason are then this path's.",
  },
  direct: {
    schema: object<NonNullable<TelemetryPort['direct']>>({ code, reason: 'string' }),
    description: "When the proxy path decided the port's code: the direct path's verdict.",
  },
});

const clock = object<ClockReading>({
  offsetSeconds: { schema: 'double', description: 'Server time minus device time, from the Date of a verified HTTPS answer; more than 300 either way is CLOCK_SKEW.' },
  source: { schema: 'string', description: 'The target whose answer gave it.' },
});

const edge = object<TelemetryEdge>({
  configToml,
  provisioning: 'string',
  upstream: object<TelemetryEdge['upstream']>({ hostname: 'string', form: upstreamForm, policyOk: 'boolean', gateway: 'string' }),
  findings: array(object<EdgeFinding>({ id: enumOf(FINDING_IDS), severity, text: 'string' })),
  clock: { schema: clock, description: "The device's clock against the servers' (also when the audit could not run)." },
});

/** The results body's keys; the summary's are among them, each with a subset of the fields. */
const result = (schemas: readonly string[]): { [K in keyof TelemetryBody]-?: Described } => ({
  schema: { schema: enumOf(schemas), description: 'Which body this is, and its version.' },
  deviceId: 'string',
  moduleId: 'string',
  runId: 'string',
  startedAt: 'dateTime',
  durationMs: 'double',
  overall,
  targets: { schema: array(target), description: 'Per target: the verdict, the addresses in use, how the name resolved.' },
  answers: { schema: array(answer), description: "Every resolver's answer for each target's name and its counterpart." },
  ports: { schema: array(port), description: 'Per target and port: TCP per address, the TLS handshake and certificate, the service exchange, the path through a proxy.' },
  edge: { schema: edge, description: "The audit of the IoT Edge runtime's configuration, and the device's clock." },
});

/** The alert body's keys besides those it shares with the results body (schema, deviceId, moduleId). */
const alert: { [K in Exclude<keyof AlertBody, keyof TelemetryBody>]-?: Described } = {
  target: { schema: 'string', description: 'Alerts: the target whose verdict changed.' },
  host: 'string',
  from: overall,
  to: overall,
  code: { schema: code, description: 'Alerts: the new code; absent for a removed target.' },
  reason: 'string',
  at: 'dateTime',
};

function messagesInterface(): Interface {
  const keys = { ...result([RESULT_SCHEMA, SUMMARY_SCHEMA, ALERT_SCHEMA]), ...alert };
  return iface(
    MESSAGES_INTERFACE_ID,
    'Private Link probe messages',
    "The module's output messages, sent with $.sub = messages: on probeResults one per run (full detail or a quiet run's summary), on alerts one per verdict change. Each top-level key of a body is one telemetry.",
    Object.entries(keys).map(([name, spec]) => telemetry(name, spec)),
  );
}

// ---- the twin and the direct methods -----------------------------------------------------------------------

const writable: Record<DesiredKey, Described> = {
  intervalSeconds: { schema: 'integer', description: 'Seconds between runs, 10-86400 (default 300).' },
  timeoutMs: { schema: 'integer', description: 'Per step (DNS, TCP connect, TLS handshake, service exchange), 100-60000 (default 5000).' },
  serviceCheck: {
    schema: 'boolean',
    description: 'After a verified TLS handshake, one credential-free exchange of the port\'s protocol (MQTT CONNECT, the AMQP header, an HTTPS GET) on the same connection (default true).',
  },
  hostnamePolicy: { schema: enumOf(HOSTNAME_POLICIES), description: 'Which name form the runtime and targets must use.' },
  dns: object<{ servers: string; system: boolean; privateRanges: string }>({
    servers: { schema: 'string', description: 'Explicit resolvers, ip or ip:port, comma-separated (a JSON array is read too).' },
    system: { schema: 'boolean', description: 'Also resolve with the system resolver.' },
    privateRanges: { schema: 'string', description: 'CIDRs that count as private, comma-separated.' },
  }),
  targets: map(
    'name',
    'target',
    object<{ host: string; kind: string; ports: string; expectedAddresses: string; enabled: boolean }>({
      host: 'string',
      kind,
      ports: { schema: 'string', description: 'Comma-separated, e.g. 8883,5671,443.' },
      expectedAddresses: { schema: 'string', description: 'The addresses the name must resolve to, comma-separated.' },
      enabled: { schema: 'boolean', description: 'false removes the target.' },
    }),
  ),
  autoTargets: { schema: 'boolean', description: "Probe the runtime's own hub, DPS and registry too." },
  telemetry: object<TelemetryConfig>({
    enabled: 'boolean',
    output: { schema: 'string', description: 'The output the results go to.' },
    onChangeOnly: 'boolean',
    detail: { schema: enumOf(TELEMETRY_DETAIL_MODES), description: "auto: a quiet run's summary; full: full detail every run." },
  }),
  flapping: object<FlappingConfig>({ enabled: 'boolean', changes: 'integer', window: 'integer' }),
};

const reportedStatus = object<ReportedStatus>({
  overall,
  summary: 'string',
  lastRunAt: 'dateTime',
  lastRunMs: 'integer',
  runCount: 'integer',
  nextRunAt: 'dateTime',
  moduleVersion: 'string',
  upstream: object<NonNullable<ReportedStatus['upstream']>>({ hostname: 'string', form: upstreamForm, policyOk: 'boolean', gateway: 'string' }),
  proxy: { schema: 'string', description: 'The HTTP proxy 443 goes through, http://host:port (never with user information).' },
});

/** Each port step's time (`tcpMs`, `tlsMs`, …: PORT_STEPS), whole milliseconds. */
function stepTimeFields(): Record<StepTimeKey, 'integer'> {
  return Object.fromEntries(PORT_STEPS.map(({ step }) => [stepTimeKey(step), 'integer'])) as Record<StepTimeKey, 'integer'>;
}

const historySummary = object<HistorySummary>({ runs: 'integer', changes: 'integer', availabilityPct: 'double' });

const reportedTarget = object<ReportedTarget>({
  status,
  code,
  reason: 'string',
  host: 'string',
  kind,
  changedAt: { schema: 'dateTime', description: 'When status or code last changed.' },
  dns: object<ReportedDns>({ addresses: 'string', private: 'boolean', cname: 'string', ms: 'integer', resolver: 'string', mismatch: 'boolean' }),
  ports: map(
    'port',
    'result',
    object<ReportedPort>({
      ok: 'boolean',
      code,
      ...stepTimeFields(),
      tls: 'string',
      tlsBytesReceived: { schema: 'integer', description: 'On a TLS timeout or stall: the bytes the server had sent.' },
      certDaysLeft: 'integer',
      service: { schema: serviceOutcome, description: 'The exchange after TLS (left out when skipped).' },
      serviceDetail: { schema: 'string', description: 'What answered the exchange, e.g. CONNACK 5.' },
      proxy: { schema: proxyOutcome, description: "On 443 behind a proxy: its CONNECT's outcome (bypassed: NO_PROXY exempts the name)." },
      proxyStatus: { schema: 'integer', description: "The proxy's HTTP status to CONNECT." },
      directCode: { schema: code, description: "When the proxy path decided code: the direct path's code." },
    }),
  ),
  history: { schema: historySummary, description: 'Over the runs the module keeps in memory.' },
  measured: { schema: code, description: 'While the code is FLAPPING: what the last run measured.' },
});

const reportedEdge = object<ReportedEdge>({
  configToml,
  provisioning: 'string',
  findings: map('finding', 'text', 'string'),
  clock: { schema: clock, description: "The device's clock against the servers' (also when the audit could not run)." },
});

const unknownKeys = object<AckEntry>({ value: 'string', ac: 'integer', av: 'integer', ad: 'string' });

/** A command's answer when its status is not 200, instead of the rest. */
const refusal = { message: { schema: 'string', description: 'Instead of a result: why not (400, 404, 429, 500).' } } as const;

const history = object<HistoryView>({
  capacity: 'integer',
  targets: map(
    'target',
    'runs',
    array(object<HistoryEntry>({ at: { schema: 'long', description: 'Epoch milliseconds.' }, status, code, dnsMs: 'integer', ...stepTimeFields() })),
  ),
});

const upstream = object<UpstreamView>({ state: upstreamState, hostname: 'string', lastContactAt: 'dateTime', queued: 'integer', dropped: 'integer' });

function rootInterface(): Interface {
  const body = result([RESULT_SCHEMA]);
  return iface(
    MODEL_ID,
    'Private Link probe',
    'Proves that an IoT Edge device reaches IoT Hub, DPS, Container Registry and Blob Storage through their private endpoints, and says which link broke.',
    [
      ...DESIRED_KEYS.map((key) => property(key, writable[key], true)),
      property('status', { schema: reportedStatus, description: 'The last run: overall verdict, one-line summary, times, the upstream connection.' }),
      property('results', { schema: map('target', 'result', reportedTarget), description: "Each target's verdict, addresses, ports and history." }),
      property('edge', { schema: reportedEdge, description: "The audit of the IoT Edge runtime's configuration, and the device's clock." }),
      property('unknownKeys', { schema: unknownKeys, description: 'Desired keys the module does not know, beyond the few acknowledged one by one: value names them.' }),
      component(MESSAGES_COMPONENT, MESSAGES_INTERFACE_ID, 'The output messages (probeResults, alerts).'),
      command('runNow', 'Run now (or join the run in progress) and return its result.', { response: ['result', object<typeof body & typeof refusal>({ ...body, ...refusal })] }),
      command('getStatus', 'The last result with the upstream connection and the recent runs; 404 before the first run.', {
        response: ['status', object<typeof body & typeof refusal & { upstream: unknown; history: unknown }>({ ...body, upstream, history, ...refusal })],
      }),
      command('probe', 'Probe one ad-hoc host, not stored; 400 for a bad request, 429 while another runs.', {
        request: [
          'target',
          object<{ host: string; ports: string; dnsServers: string }>({
            host: { schema: 'string', description: 'A hostname or IP address.' },
            ports: { schema: 'string', description: 'Comma-separated (a JSON array is read too); default by kind.' },
            dnsServers: { schema: 'string', description: 'Resolvers to ask, comma-separated (a JSON array is read too).' },
          }),
        ],
        response: ['result', object<typeof body & typeof refusal>({ ...body, ...refusal })],
      }),
    ],
  );
}

/** The interfaces, as the files a models repository keeps them in. */
export function modelInterfaces(): Interface[] {
  return [rootInterface(), messagesInterface()];
}
