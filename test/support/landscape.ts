// A private-endpoint landscape on loopback, shared by the engine tests, `check` end to end, the benchmark
// and the demo: one DNS server holding the public → privatelink CNAME chains, TLS "private endpoints" on
// their own 127.0.0.x addresses with certificates from a test CA, and the settings that make the probe see
// loopback as the private range and trust the test CA.
//
// Loopback addresses by user, so test files running in parallel never share one: engine tests
// 127.0.0.21-39, module end to end 127.0.0.41-59, `check` end to end 127.0.0.61-79, container steps
// 127.0.0.81-99, the benchmark 127.0.1.0/24, the demo 127.0.2.0/24, the fault tier 127.0.3.0/24.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeName } from '../../src/probe/catalogue.js';
import { DEFAULT_SETTINGS } from '../../src/probe/defaults.js';
import type { ProbeSettings, TargetSpec } from '../../src/probe/types.js';
import { startDnsServer, type TestDnsServer, type ZoneRecord } from './dns-server.js';
import { createCa, type IssueOptions, type TestCa } from './pki.js';
import { startSilentEndpoint, startTlsEndpoint, type ServiceBehaviour, type TlsEndpoint } from './tls-server.js';

const DAY = 86_400_000;

export type CertificateKind = 'valid' | 'public-name-only' | 'expired' | 'expiring' | 'untrusted';

export interface EndpointSpec {
  /** Target name. */
  name: string;
  /** The name clients are configured with, e.g. `myhub.privatelink.azure-devices.net`. */
  host: string;
  /** The endpoint's own loopback address, e.g. `127.0.0.21`. */
  address: string;
  /** How many TLS ports to open (ephemeral); default 1. */
  ports?: number;
  /** Listen on these ports instead (e.g. 8883: unprivileged, and a port the catalogue knows speaks TLS). */
  fixedPorts?: number[];
  certificate?: CertificateKind;
  /** A listener that accepts TCP and never speaks TLS. */
  silent?: boolean;
  /** What DNS answers for the host instead of `address` (e.g. a documentation "public" address). */
  dnsAnswer?: string;
  /** Delay before each handshake. */
  latencyMs?: number;
  /** How the endpoint answers the service check's exchange after the handshake; default like Azure. */
  service?: ServiceBehaviour;
  /** How far the `Date` of its HTTPS answers is off real time. */
  dateOffsetMs?: number;
}

export interface Landscape {
  ca: TestCa;
  dns: TestDnsServer;
  endpoints: TlsEndpoint[];
  add(spec: EndpointSpec): Promise<TargetSpec>;
  /** Probe settings for this landscape: its DNS server only, loopback private, the test CA trusted. */
  settings(over?: Partial<ProbeSettings>): ProbeSettings;
  /**
   * The same for the module's environment (CA_FILE, KNOWN_ROOTS, DNS_SERVERS, DNS_SYSTEM, PRIVATE_RANGES):
   * the deployment-level defaults that hold before the twin is read, so the module never asks the machine's
   * resolver. The CA is written to a temporary file, removed by close().
   */
  moduleEnv(): Promise<Record<string, string>>;
  /** The same as `check` flags, with the test CA written at `caFile` by the caller (readable by whoever runs it). */
  checkArgs(caFile: string): string[];
  close(): Promise<void>;
}

/** `dnsPort` 53 makes the DNS server the system resolver of a namespace whose resolv.conf names 127.0.0.1. */
export async function startLandscape(options: { dnsLatencyMs?: number; dnsPort?: number } = {}): Promise<Landscape> {
  const ca = await createCa('privatelink-probe landscape CA');
  const rogue = await createCa('Unknown Inspection CA');
  const dns = await startDnsServer({
    ...(options.dnsLatencyMs ? { latencyMs: options.dnsLatencyMs } : {}),
    ...(options.dnsPort ? { port: options.dnsPort } : {}),
  });
  const endpoints: TlsEndpoint[] = [];
  const records: ZoneRecord[] = [];
  let caDir: string | undefined;

  const certificate = (spec: EndpointSpec) => {
    const name = describeName(spec.host);
    const publicName = name.form === 'privatelink' ? name.counterpart! : spec.host;
    const base: IssueOptions = { dnsNames: [spec.host, ...(name.counterpart ? [name.counterpart] : [])] };
    switch (spec.certificate ?? 'valid') {
      case 'public-name-only':
        return ca.issue({ dnsNames: [publicName] });
      case 'expired':
        return ca.issue({ ...base, notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) });
      case 'expiring':
        return ca.issue({ ...base, notAfter: new Date(Date.now() + 5 * DAY) });
      case 'untrusted':
        return rogue.issue(base);
      default:
        return ca.issue(base);
    }
  };

  return {
    ca,
    dns,
    endpoints,
    async add(spec) {
      const ports: number[] = [];
      const cert = spec.silent ? undefined : await certificate(spec);
      const wanted: Array<number | undefined> =
        spec.fixedPorts ?? Array.from({ length: spec.ports ?? 1 }, () => undefined);
      for (const port of wanted) {
        const at = { host: spec.address, ...(port !== undefined ? { port } : {}) };
        const endpoint = cert
          ? await startTlsEndpoint({
              ...at,
              cert,
              ...(spec.latencyMs ? { latencyMs: spec.latencyMs } : {}),
              ...(spec.service ? { service: spec.service } : {}),
              ...(spec.dateOffsetMs ? { dateOffsetMs: spec.dateOffsetMs } : {}),
            })
          : await startSilentEndpoint(at);
        endpoints.push(endpoint);
        ports.push(endpoint.port);
      }
      const name = describeName(spec.host);
      const answer = spec.dnsAnswer ?? spec.address;
      if (name.form === 'privatelink' && name.counterpart) {
        records.push(
          { name: name.counterpart, type: 'CNAME', data: spec.host },
          { name: spec.host, type: 'A', data: answer },
        );
      } else if (name.form === 'public' && name.counterpart) {
        records.push(
          { name: spec.host, type: 'CNAME', data: name.counterpart },
          { name: name.counterpart, type: 'A', data: answer },
        );
      } else {
        records.push({ name: spec.host, type: 'A', data: answer });
      }
      dns.setRecords(records);
      return { name: spec.name, host: spec.host, ports, tlsPorts: ports, source: 'cli' };
    },
    settings(over = {}) {
      return {
        ...DEFAULT_SETTINGS,
        dnsServers: [dns.endpoint],
        systemDns: false,
        privateRanges: ['127.0.0.0/8'],
        caPem: ca.certPem,
        knownRoots: [...DEFAULT_SETTINGS.knownRoots, ca.name],
        ...over,
      };
    },
    checkArgs(caFile) {
      return [
        '--dns-server',
        dns.endpoint,
        '--no-system-dns',
        '--private-range',
        '127.0.0.0/8',
        '--ca-file',
        caFile,
        '--known-root',
        ca.name,
      ];
    },
    async moduleEnv() {
      caDir ??= await mkdtemp(path.join(os.tmpdir(), 'plp-landscape-'));
      const caFile = path.join(caDir, 'private-endpoints-ca.pem');
      await writeFile(caFile, ca.certPem);
      return {
        CA_FILE: caFile,
        KNOWN_ROOTS: ca.name,
        DNS_SERVERS: dns.endpoint,
        DNS_SYSTEM: 'false',
        PRIVATE_RANGES: '127.0.0.0/8',
      };
    },
    async close() {
      await Promise.all([dns.close(), ...endpoints.map((e) => e.close())]);
      if (caDir) await rm(caDir, { recursive: true, force: true });
    },
  };
}
