// The messages between the benchmark and its fixture process (fixture-process.ts). The loopback
// landscapes live in a child process so that `process.cpuUsage()` in the benchmark counts the client
// side only: the servers' handshake work would otherwise be added, equally, to the engine and to the
// baseline and pull every CPU ratio towards 1.
import type { Behaviour } from '../test/support/dns-server.js';
import type { ProbeSettings, TargetSpec } from '../src/probe/types.js';

/**
 * The ports every benchmark landscape serves on: ports whose service exchange the engine knows (MQTT, AMQP,
 * HTTPS), so its service step runs as it does against Azure instead of being skipped as on a random port.
 * 8443 rather than 443: unprivileged. Each target has an address of its own, so the same ports never collide.
 */
export const SERVICE_PORTS: readonly number[] = [8883, 5671, 8443];

export interface LandscapePlan {
  /** Hostnames are `<prefix><n>.privatelink.azure-devices.net`, n = 1 … count. */
  prefix: string;
  count: number;
  /** The TLS ports every target serves on (SERVICE_PORTS, as a rule). */
  ports: readonly number[];
  /**
   * Endpoint n listens on `<subnet>.<first + n - 1>`: an address of its own, like a private endpoint.
   * The benchmark's share of loopback is 127.0.1.0/24 (landscape.ts keeps the map).
   */
  subnet: string;
  first: number;
  dnsLatencyMs?: number;
  tlsLatencyMs?: number;
  /** The DNS server's port; 53 inside the blackbox comparison's namespace, where it is the system resolver. */
  dnsPort?: number;
}

export interface LandscapeInfo {
  targets: TargetSpec[];
  /** The landscape's probe settings: its DNS server only, loopback private, its test CA trusted. */
  settings: ProbeSettings;
  dnsServer: { address: string; port: number };
  /** The test CA's certificate, for a prober outside the engine. */
  caPem: string;
}

export type Request =
  | { op: 'start'; plan: LandscapePlan }
  | { op: 'behaviour'; prefix: string; names: string[]; behaviour: Behaviour }
  | { op: 'queries'; prefix: string };

export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };
