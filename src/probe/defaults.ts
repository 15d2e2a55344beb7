// Defaults of a run (the README's configuration table). Config and the CLI start from these.
import type { ProbeSettings } from './types.js';

/** RFC 1918, shared address space (100.64/10, carrier-grade NAT) and IPv6 unique local addresses. */
export const DEFAULT_PRIVATE_RANGES: readonly string[] = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  'fc00::/7',
];

/** Roots Azure's public endpoints chain to (Azure TLS certificate changes: https://learn.microsoft.com/azure/security/fundamentals/azure-ca-details); a TLS-inspecting proxy re-signs with its own. */
export const AZURE_ROOT_NAMES: readonly string[] = [
  'DigiCert Global Root G2',
  'DigiCert Global Root G3',
  'Microsoft RSA Root Certificate Authority 2017',
  'Microsoft ECC Root Certificate Authority 2017',
  'Baltimore CyberTrust Root',
];

export const DEFAULT_SETTINGS: Readonly<ProbeSettings> = {
  timeoutMs: 5000,
  hostnamePolicy: 'privatelink',
  dnsServers: [],
  systemDns: true,
  privateRanges: [...DEFAULT_PRIVATE_RANGES],
  connectTo: 'first',
  expiringDays: 14,
  slowMs: 0,
  maxInFlight: 256,
  knownRoots: [...AZURE_ROOT_NAMES],
  serviceCheck: true,
};
