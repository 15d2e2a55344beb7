// The engine's vocabulary: what a target is, what each step measures, what a run returns.
// Every other folder (config, report, hub, http, cli) speaks in these types, so they change rarely
// and only by adding. Names that reach the twin or telemetry are part of the contract (docs/reference.md: the
// verdict table, the twin's and telemetry's fields).

import type { ServerName } from './hostname.js';
import type { ProxySettings } from './proxy-settings.js';

/** What a hostname is, worked out from its suffix (catalogue.ts) or configured. */
export type Kind = 'iothub' | 'dps' | 'acr' | 'acrData' | 'blob' | 'eventhub' | 'custom';
export const KINDS: readonly Kind[] = ['iothub', 'dps', 'acr', 'acrData', 'blob', 'eventhub', 'custom'];

/** Which Azure cloud a suffix belongs to; `unknown` for custom names. */
export type Cloud = 'public' | 'china' | 'usgov' | 'unknown';

/** The form of a configured name: `x.privatelink.<zone>`, `x.<zone>`, an IP literal, or not an Azure zone. */
export type NameForm = 'privatelink' | 'public' | 'ip' | 'custom';

/** Which name form the runtime and targets must use (desired `hostnamePolicy`). */
export type HostnamePolicy = 'privatelink' | 'public' | 'any';
export const HOSTNAME_POLICIES: readonly HostnamePolicy[] = ['privatelink', 'public', 'any'];

export type Status = 'healthy' | 'degraded' | 'unhealthy';
export type Overall = Status | 'unknown';

/** Stable verdict codes. Extend, never rename: dashboards and fleet queries use them. */
export const CODE_STATUS = {
  OK: 'healthy',
  DNS_NXDOMAIN: 'unhealthy',
  DNS_SERVFAIL: 'unhealthy',
  DNS_REFUSED: 'unhealthy',
  DNS_TIMEOUT: 'unhealthy',
  DNS_NO_ANSWER: 'unhealthy',
  DNS_CNAME_LOOP: 'unhealthy',
  DNS_PUBLIC_ADDRESS: 'unhealthy',
  DNS_UNEXPECTED_ADDRESS: 'unhealthy',
  /** Added: a resolver error that is none of the above (socket error, unexpected errno). */
  DNS_FAILED: 'unhealthy',
  /** Added: the server's answer does not decode, its records are cut short, or only responses to other queries came. */
  DNS_MALFORMED: 'unhealthy',
  TCP_REFUSED: 'unhealthy',
  TCP_TIMEOUT: 'unhealthy',
  TCP_UNREACHABLE: 'unhealthy',
  TCP_RESET: 'unhealthy',
  /** Added: a connect error that is none of the above. */
  TCP_FAILED: 'unhealthy',
  TLS_HOSTNAME_MISMATCH: 'unhealthy',
  TLS_UNTRUSTED: 'unhealthy',
  TLS_EXPIRED: 'unhealthy',
  TLS_NOT_YET_VALID: 'unhealthy',
  TLS_TIMEOUT: 'unhealthy',
  /** The handshake timed out after the server's first bytes arrived: the rest of its flight is cut in transit (MTU). */
  TLS_STALLED: 'unhealthy',
  TLS_FAILED: 'unhealthy',
  /** The proxy 443 goes through cannot be reached (refused, timeout, unreachable, not an HTTP proxy). */
  PROXY_UNREACHABLE: 'unhealthy',
  /** The proxy answered CONNECT with 407: it wants credentials, or refuses the ones given. */
  PROXY_AUTH_REQUIRED: 'unhealthy',
  /** The proxy answered CONNECT with 403 or another 4xx: its policy refuses the name or the port. */
  PROXY_DENIED: 'unhealthy',
  /** The proxy answered CONNECT with a 5xx: it could not resolve or reach the name (its DNS decides, not ours). */
  PROXY_UPSTREAM_FAILED: 'unhealthy',
  /** TLS completed, but the service's protocol got no answer, or the connection was closed right after the request. */
  APP_BLOCKED: 'unhealthy',
  DNS_RESOLVER_MISMATCH: 'degraded',
  TLS_EXPIRING: 'degraded',
  TLS_INSPECTED: 'degraded',
  /** Something answered after TLS that is not the service: a block page, or bytes that are not MQTT or AMQP. */
  APP_FOREIGN: 'degraded',
  HOSTNAME_POLICY: 'degraded',
  SLOW: 'degraded',
  /** Added: the verdict keeps changing (report/flapping.ts); the measured verdict is in `flapping.measured`. */
  FLAPPING: 'degraded',
} as const satisfies Record<string, Status>;
export type Code = keyof typeof CODE_STATUS;

/** One hostname to probe, after configuration has been applied. */
export interface TargetSpec {
  /** Twin-safe key: letters, digits, `_` and `-` (config validates it). */
  name: string;
  host: string;
  /** Omitted: from the suffix. */
  kind?: Kind;
  /** Omitted: the kind's default ports. */
  ports?: number[];
  /** Ports that speak TLS besides the well-known ones (443, 8883, 5671, ...: catalogue `isTlsPort`). */
  tlsPorts?: number[];
  /** When set, every resolved address must be one of these (stale record detection). */
  expectedAddresses?: string[];
  /** Where the target came from; desired targets replace automatic ones of the same name. */
  source?: 'auto' | 'desired' | 'cli' | 'adhoc';
}

/** Settings of one run. Defaults live in `defaults.ts`; config and CLI produce this. */
export interface ProbeSettings {
  /** Bound for every step: one DNS step, one TCP connect, one TLS handshake. */
  timeoutMs: number;
  hostnamePolicy: HostnamePolicy;
  /** Explicit resolvers, `ip` or `ip:port` (IPv6 as `[ip]:port`). */
  dnsServers: string[];
  /** Also resolve with the system resolver; when true, connections use its answers. */
  systemDns: boolean;
  /**
   * The nameservers the system resolver uses (resolv.conf). getaddrinfo says EAI_AGAIN both when they are
   * down and when they answer SERVFAIL; they are then asked directly, within the same step, to tell which.
   */
  systemNameservers?: string[];
  /** CIDRs that count as private. */
  privateRanges: string[];
  /** Connect to the first resolved address, or to every one. */
  connectTo: 'first' | 'all';
  /** Extra trust anchors (PEM) on top of Node's default store. */
  caPem?: string;
  /** A certificate with this many days left or fewer is `TLS_EXPIRING`. */
  expiringDays: number;
  /** A step slower than this (ms) makes an otherwise healthy target `SLOW`; 0 disables. */
  slowMs: number;
  /** Bound on sockets and lookups in flight across the whole run (a safety net: 32 targets never reach it). */
  maxInFlight: number;
  /** Common names of the roots a genuine Azure chain ends in; any other root on an Azure kind is `TLS_INSPECTED`. */
  knownRoots: string[];
  /** After a verified handshake, one credential-free exchange of the port's protocol (desired `serviceCheck`). */
  serviceCheck: boolean;
  /** The HTTP proxy 443 goes through, as the runtime's does (`https_proxy`, `no_proxy`); none: every port direct. */
  proxy?: ProxySettings;
}

// ---- DNS --------------------------------------------------------------------------------------

/**
 * `cname-too-long`: a chain longer than the walk follows, no name repeated. `malformed`: an answer to our
 * query that does not decode or whose records are cut short or invalid, or, by the deadline, nothing but
 * responses to other queries. `temporary-failure`: the system resolver's EAI_AGAIN, which getaddrinfo gives both
 * when its nameservers answered SERVFAIL and when they are down; asked directly, nameservers that none answer
 * turn it into `timeout` or `error`.
 */
export type DnsOutcome =
  | 'ok'
  | 'nxdomain'
  | 'servfail'
  | 'temporary-failure'
  | 'refused'
  | 'timeout'
  | 'no-answer'
  | 'cname-loop'
  | 'cname-too-long'
  | 'malformed'
  | 'error';

/** Who answered: the system resolver (getaddrinfo), or an explicit server as `ip:port` / `[ipv6]:port`. */
export type ResolverName = 'system' | ServerName;

/** What one resolver said about one name. */
export interface DnsAnswer {
  resolver: ResolverName;
  name: string;
  outcome: DnsOutcome;
  /** The DNS rcode as text (`NOERROR`, `NXDOMAIN`, ...); absent for the system resolver and timeouts. */
  rcode?: string;
  /** Every A and AAAA address at the end of the chain, in answer order. */
  addresses: string[];
  /** The CNAME chain from `name` onwards, excluding `name` itself. Empty for the system resolver. */
  cname: string[];
  /** Smallest TTL among the answers (seconds); absent for the system resolver. */
  ttl?: number;
  ms: number;
  /** Detail for `error` (and timeouts): never contains secrets. */
  error?: string;
}

export type AddressClass = 'private' | 'public' | 'loopback' | 'link-local' | 'other';

export interface ClassifiedAddress {
  address: string;
  family: 4 | 6;
  /** Finer class, for the reader. */
  class: AddressClass;
  /** Inside `privateRanges`: the only thing the verdict looks at. */
  private: boolean;
}

/** The DNS part of a target's result. */
export interface TargetDns {
  /** Every query made for the configured name: the system resolver first, then each explicit server. */
  answers: DnsAnswer[];
  /** The same for the counterpart name (privatelink ↔ public), when there is one. */
  counterpartAnswers: DnsAnswer[];
  /** Whose answer the connections use; `literal` when the target is an IP address and nothing was resolved. */
  resolver: ResolverName | 'literal';
  /** The addresses connections use, classified. */
  addresses: ClassifiedAddress[];
  /** The chain of the answer in use (explicit servers only report chains). */
  cname: string[];
  /** True when every address in use is private. */
  private: boolean;
  /** True when resolvers that answered gave different address sets. */
  mismatch: boolean;
  ms: number;
}

// ---- TCP and TLS ------------------------------------------------------------------------------

export type TcpOutcome = 'ok' | 'refused' | 'timeout' | 'unreachable' | 'reset' | 'error';

export interface TcpResult {
  address: string;
  port: number;
  outcome: TcpOutcome;
  ms: number;
  /** errno code or message for anything but `ok`. */
  error?: string;
}

export type TlsOutcome =
  'ok' | 'hostname-mismatch' | 'untrusted' | 'expired' | 'not-yet-valid' | 'timeout' | 'stalled' | 'failed';

export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** DNS and IP SANs as written in the certificate (`DNS:` / `IP Address:` prefixes stripped). */
  sans: string[];
  notBefore: string;
  notAfter: string;
  /** Whole days from now until notAfter (negative once expired). */
  daysLeft: number;
  /** Subject of the last certificate of the presented chain (the root, or the top intermediate). */
  chainTop?: string;
}

export interface TlsResult {
  address: string;
  port: number;
  servername: string;
  outcome: TlsOutcome;
  ms: number;
  protocol?: string;
  cipher?: string;
  cert?: CertificateInfo;
  /** True when the chain ends in one of `settings.knownRoots` (by default the roots Azure uses); the verdict's
   *  TLS_INSPECTED rests on it. */
  azureRoot?: boolean;
  /** OpenSSL / Node error code or message for anything but `ok`. */
  error?: string;
  /** On a timeout: the bytes the server had sent when it came (`stalled` when more than zero). */
  bytesReceived?: number;
  /** On a hostname mismatch: the handshake with the counterpart name on the same address. */
  counterpart?: { servername: string; outcome: TlsOutcome; ms: number; error?: string };
}

// ---- Service ----------------------------------------------------------------------------------

/** The protocol spoken after TLS, by port: 8883 MQTT, 5671 AMQP, 443 HTTPS. */
export type ServiceProtocol = 'mqtt' | 'amqp' | 'https';

/**
 * `blocked`: no answer within the timeout, or the connection closed or reset right after the request.
 * `foreign`: an answer that is not the service's. `skipped`: TLS did not verify, or the port has no known exchange.
 */
export type ServiceOutcome = 'ok' | 'blocked' | 'foreign' | 'skipped';

/** One credential-free exchange on the verified TLS connection. */
export interface ServiceResult {
  /** Absent when skipped on a port without a known exchange. */
  protocol?: ServiceProtocol;
  outcome: ServiceOutcome;
  ms: number;
  /** What answered, e.g. `CONNACK 5`, `AMQP header`, `HTTP 401 x-ms-request-id`, or why it is blocked or skipped. */
  detail: string;
  /**
   * HTTPS only, when the answer carried a `Date`: server time − local time in seconds, corrected by half the
   * round trip (the header's own resolution is one second).
   */
  clockOffsetSeconds?: number;
}

/** The device's clock against the servers' (`CLOCK_SKEW` above 300 s either way). */
export interface ClockReading {
  offsetSeconds: number;
  /** The target whose HTTPS answer gave it. */
  source: string;
}

// ---- Proxy ------------------------------------------------------------------------------------

/** `bypassed`: NO_PROXY exempts the name. The others are the CONNECT's outcome (PROXY_* codes). */
export type ProxyOutcome = 'ok' | 'unreachable' | 'auth-required' | 'denied' | 'upstream-failed' | 'bypassed';

/** The `CONNECT host:port` through the HTTP proxy the runtime uses for 443. */
export interface ProxyResult {
  /** The proxy's URL without user information: credentials never leave the settings. */
  url: string;
  outcome: ProxyOutcome;
  /** The proxy's HTTP status to CONNECT, when it answered one. */
  status?: number;
  ms: number;
  /** Detail for anything but `ok` and `bypassed` (errno, status line). */
  error?: string;
  /** Through the tunnel, when CONNECT succeeded: the handshake (no counterpart: the proxy resolves names). */
  tls?: TlsResult;
  /** Through the tunnel, after a verified handshake, when the service check is on. */
  service?: ServiceResult;
}

export interface PortResult {
  port: number;
  /** Reachable and verified (a degraded code such as TLS_EXPIRING still counts as ok). */
  ok: boolean;
  code: Code;
  /** The port's own one-line reason (the target's reason is the most important port's). */
  reason: string;
  /**
   * Not connected to: the target's DNS verdict failed (its code is then the port's) or gave no address, so the
   * name leads nowhere or to someone else's endpoint.
   */
  skipped?: true;
  /** One entry per address connected to (first, or all). Empty when the port was skipped. */
  tcp: TcpResult[];
  /** The handshake on the first address that connected, for TLS ports. */
  tls?: TlsResult;
  /** The exchange after a verified handshake, when the service check is on. */
  service?: ServiceResult;
  /**
   * On 443 when a proxy is set: the path through it. `code`, `reason` and `ok` are then that path's (the one
   * the runtime uses), and `direct` keeps the direct path's verdict beside it; `tcp`, `tls` and `service`
   * stay the direct path's measurements.
   */
  proxy?: ProxyResult;
  direct?: { ok: boolean; code: Code; reason: string };
}

export interface TargetResult {
  name: string;
  host: string;
  kind: Kind;
  cloud: Cloud;
  form: NameForm;
  /** `x.privatelink.<zone>` ↔ `x.<zone>`; absent for custom names and IPs. */
  counterpart?: string;
  ports: PortResult[];
  dns: TargetDns;
  status: Status;
  code: Code;
  /** One line that names the fix. */
  reason: string;
  startedAt: string;
  ms: number;
  /** Set while the target is flagged as flapping: the changes counted in the window, and what this run measured. */
  flapping?: { changes: number; window: number; measured: { status: Status; code: Code } };
}

export interface RunResult {
  runId: string;
  startedAt: string;
  durationMs: number;
  overall: Overall;
  targets: TargetResult[];
  /** From the verified HTTPS answer with the shortest round trip that carried a `Date`. */
  clock?: ClockReading;
}
