// Rules on the module's own resolver context: resolv.conf and /etc/hosts. A missing resolv.conf or hosts file
// is no finding: the DNS steps of the probe show what resolution does.
import { describeName } from '../../probe/catalogue.js';
import type { Rule } from '../finding.js';
import { DOCKER_EMBEDDED_DNS } from '../resolver-context.js';

export const resolverRules: Rule[] = [
  {
    id: 'NO_RESOLVER',
    severity: 'error',
    check: ({ ctx }) =>
      ctx.resolvConf !== undefined && ctx.resolvConf.nameservers.length === 0
        ? 'resolv.conf lists no nameserver, so no resolver is reachable and every name fails: give the container a resolver (the Docker daemon\'s "dns" setting or createOptions HostConfig.Dns)'
        : undefined,
  },
  {
    id: 'DOCKER_EMBEDDED_DNS',
    severity: 'info',
    check: ({ ctx }) =>
      ctx.resolvConf?.dockerEmbedded
        ? `the module resolves through Docker's embedded DNS ${DOCKER_EMBEDDED_DNS}, which forwards to the host's resolvers (or the daemon's "dns" setting): test names from a container on the same network (docker run --network azure-iot-edge <image> check), not from the host`
        : undefined,
  },
  {
    id: 'HOSTS_PINNED',
    severity: 'warning',
    check: ({ ctx, probed }) => {
      const hosts = ctx.hosts;
      if (hosts === undefined) return undefined;
      const pinned = new Map<string, readonly string[]>();
      for (const target of probed) {
        const info = describeName(target.host);
        for (const name of [info.host, info.counterpart]) {
          const addresses = name === undefined ? undefined : hosts.get(name);
          if (name !== undefined && addresses !== undefined) pinned.set(name, addresses);
        }
      }
      if (pinned.size === 0) return undefined;
      const list = [...pinned].map(([name, addresses]) => `${name} → ${addresses.join(' ')}`).join(', ');
      return `/etc/hosts pins ${list}: these names never reach DNS, so a broken private zone stays hidden and a changed endpoint address goes unnoticed; remove the entries (createOptions HostConfig.ExtraHosts) once DNS answers`;
    },
  },
];
