// The on-prem resolver: Debian's dnsmasq, configured the way Azure's Private Link DNS guidance has an
// on-premises DNS server set up: conditional forwarders for the public zone names (`azure-devices.net`,
// `blob.core.windows.net`, ...) to the Azure DNS Private Resolver's inbound endpoint, everything else to
// the public DNS. Only the command line configures it: no /etc/dnsmasq.conf, resolv.conf or hosts file of
// the machine is read.
import type { NamespaceProcess } from './namespace-process.js';
import type { Topology } from './topology.js';

export interface ResolverConfig {
  /** Where it listens (port 53). */
  listen: string;
  /** Conditional forwarders: zone → server. A zone covers its subdomains, privatelink.<zone> included. */
  forwards: Record<string, string>;
  /** Every other name goes here. */
  upstream: string;
}

export function dnsmasqArgs(config: ResolverConfig): string[] {
  return [
    'dnsmasq',
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--pid-file=',
    '--log-facility=-',
    '--log-queries',
    '--bind-interfaces',
    `--listen-address=${config.listen}`,
    // No cache: every scenario's answer comes from the zones as they are now, not from an earlier one.
    '--cache-size=0',
    ...Object.entries(config.forwards).map(([zone, server]) => `--server=/${zone}/${server}`),
    `--server=${config.upstream}`,
  ];
}

/** Starts dnsmasq in the onprem namespace; resolves once it listens. */
export async function startOnpremResolver(topology: Topology, config: ResolverConfig): Promise<NamespaceProcess> {
  const proc = topology.start('onprem', dnsmasqArgs(config), {
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  // dnsmasq binds its sockets before it logs that it started.
  await proc.waitForLine(/started, version/, 10_000);
  return proc;
}
