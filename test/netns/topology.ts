// The tier's network, built and torn down by the test itself (tests may send traffic inside network
// namespaces a test made itself). Four namespaces joined by veth pairs that are created directly inside
// them (`ip -n A link add … peer … netns B`), so no interface ever appears in the machine's own namespace,
// and none of the four has a link or route to it: nothing sent in there can leave.
//
//   edge ─ where `check` and the module run; /etc/netns/<edge>/resolv.conf names the on-prem resolver
//     lan0 10.0.0.2/24  ──────────  lan0 10.0.0.53/24  onprem ─ the on-prem resolver (dnsmasq)
//     vpn0 10.9.0.2/30  ──┐              az0 10.8.0.2/30  ──┐   inet0 203.0.113.1/24 ──┐
//     10.1.0.0/16 via 10.9.0.1           10.1.0.0/16 via 10.8.0.1                     │
//                         │                                 │                          │
//   azure ─ the virtual network: vpn0 10.9.0.1/30, onprem0 10.8.0.1/30                │
//     lo: 10.1.0.4 (Azure DNS, the private zones), 10.1.2.x (private endpoints)        │
//                                                          internet ─ inet0 203.0.113.53/24 (public DNS)
//
// The edge reaches the virtual network over its own "VPN" link, and its resolver over the LAN; the
// resolver reaches Azure DNS and the "internet" DNS. No namespace forwards packets, so each reaches only
// what it is wired to, and 203.0.113.10 (what public DNS answers) has no route from the edge at all.
import { existsSync } from 'node:fs';
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startInNamespace, type NamespaceProcess, type StartOptions } from './namespace-process.js';
import { ip, namespaceNames, pidsIn } from './shell.js';

export const ROLES = ['edge', 'onprem', 'azure', 'internet'] as const;
export type Role = (typeof ROLES)[number];

export const ADDRESSES = {
  edgeLan: '10.0.0.2',
  /** The on-prem resolver, as the edge's resolv.conf names it. */
  onpremResolver: '10.0.0.53',
  edgeVpn: '10.9.0.2',
  azureVpn: '10.9.0.1',
  onpremToAzure: '10.8.0.2',
  azureToOnprem: '10.8.0.1',
  /** The virtual network: where Azure DNS and the private endpoints live. */
  azureNetwork: '10.1.0.0/16',
  /** Azure DNS (a DNS Private Resolver's inbound endpoint): answers the linked privatelink.* zones. */
  azureDns: '10.1.0.4',
  onpremToInternet: '203.0.113.1',
  /** The public DNS the on-prem resolver falls back to for zones it does not forward. */
  internetDns: '203.0.113.53',
  /** What public DNS answers for Azure names: a documentation address nothing routes to. */
  publicEndpoint: '203.0.113.10',
} as const;

/** Where `ip netns exec` finds the per-namespace files it binds over /etc. */
const NETNS_ETC = '/etc/netns';
const PREFIX = 'plpnet-';

export interface Topology {
  /** Namespace name per role: `plpnet-<pid>-<role>`. */
  readonly ns: Readonly<Record<Role, string>>;
  /** Starts a process inside a role's namespace; dispose() stops it. */
  start(role: Role, command: string[], options: StartOptions): NamespaceProcess;
  /** Adds an address to the azure namespace's loopback (a private endpoint's IP). */
  addAzureAddress(address: string): Promise<void>;
  /** The edge's /etc/hosts: localhost plus these lines. */
  setEdgeHosts(extra: string[]): Promise<void>;
  /**
   * A role's own system resolver: `/etc/netns/<ns>/resolv.conf` naming `nameserver`, nsswitch.conf (files,
   * then DNS) and a hosts file with localhost alone, so getaddrinfo in there asks nothing of the machine's.
   * Processes started in the namespace afterwards see them (`ip netns exec` binds them over /etc).
   */
  setResolver(role: Role, nameserver: string): Promise<void>;
  /** Removes the edge's route to the virtual network (the VPN is down), or puts it back. */
  setVpnRoute(present: boolean): Promise<void>;
  /** Stops every process, deletes the namespaces and their /etc/netns files; safe to call twice. */
  dispose(): Promise<void>;
}

export async function createTopology(): Promise<Topology> {
  const ns = Object.fromEntries(ROLES.map((role) => [role, `${PREFIX}${process.pid}-${role}`])) as Record<Role, string>;
  const etcExisted = existsSync(NETNS_ETC);
  const processes: NamespaceProcess[] = [];
  let disposed: Promise<void> | undefined;

  const topology: Topology = {
    ns,
    start(role, command, options) {
      const proc = startInNamespace(ns[role], command, options);
      processes.push(proc);
      return proc;
    },
    async addAzureAddress(address) {
      await ip('-n', ns.azure, 'addr', 'add', `${address}/32`, 'dev', 'lo');
    },
    async setEdgeHosts(extra) {
      await writeFile(
        path.join(NETNS_ETC, ns.edge, 'hosts'),
        ['127.0.0.1 localhost', '::1 localhost', ...extra, ''].join('\n'),
      );
    },
    async setResolver(role, nameserver) {
      const etc = path.join(NETNS_ETC, ns[role]);
      await mkdir(etc, { recursive: true });
      await writeFile(path.join(etc, 'resolv.conf'), `nameserver ${nameserver}\n`);
      // files, then DNS: as in a container, whatever the machine's own nsswitch.conf says (mdns, resolved).
      await writeFile(path.join(etc, 'nsswitch.conf'), 'hosts: files dns\n');
      await writeFile(path.join(etc, 'hosts'), '127.0.0.1 localhost\n::1 localhost\n');
    },
    async setVpnRoute(present) {
      await ip('-n', ns.edge, 'route', present ? 'add' : 'del', ADDRESSES.azureNetwork, 'via', ADDRESSES.azureVpn);
    },
    dispose() {
      disposed ??= (async () => {
        const errors: unknown[] = [];
        await Promise.all(processes.map((p) => p.stop().catch((e: unknown) => errors.push(e))));
        await removeNamespaces(Object.values(ns)).catch((e: unknown) => errors.push(e));
        if (!etcExisted) await rmdir(NETNS_ETC).catch(() => undefined); // only if empty: another tool's files stay
        if (errors.length > 0) throw new AggregateError(errors, 'netns topology: teardown failed');
      })();
      return disposed;
    },
  };

  try {
    await build(ns);
    // The edge resolves through the on-prem resolver only, with glibc's default timeout and attempts.
    await topology.setResolver('edge', ADDRESSES.onpremResolver);
  } catch (error) {
    await topology.dispose().catch(() => undefined);
    throw error;
  }
  return topology;
}

async function build(ns: Record<Role, string>): Promise<void> {
  const A = ADDRESSES;
  for (const name of Object.values(ns)) {
    await ip('netns', 'add', name);
    await ip('-n', name, 'link', 'set', 'lo', 'up');
  }
  // [namespace, interface, address/prefix, peer namespace, peer interface, peer address/prefix]
  const links: Array<[Role, string, string, Role, string, string]> = [
    ['edge', 'lan0', `${A.edgeLan}/24`, 'onprem', 'lan0', `${A.onpremResolver}/24`],
    ['edge', 'vpn0', `${A.edgeVpn}/30`, 'azure', 'vpn0', `${A.azureVpn}/30`],
    ['onprem', 'az0', `${A.onpremToAzure}/30`, 'azure', 'onprem0', `${A.azureToOnprem}/30`],
    ['onprem', 'inet0', `${A.onpremToInternet}/24`, 'internet', 'inet0', `${A.internetDns}/24`],
  ];
  for (const [a, ifA, addrA, b, ifB, addrB] of links) {
    await ip('-n', ns[a], 'link', 'add', ifA, 'type', 'veth', 'peer', 'name', ifB, 'netns', ns[b]);
    await ip('-n', ns[a], 'addr', 'add', addrA, 'dev', ifA);
    await ip('-n', ns[b], 'addr', 'add', addrB, 'dev', ifB);
    await ip('-n', ns[a], 'link', 'set', ifA, 'up');
    await ip('-n', ns[b], 'link', 'set', ifB, 'up');
  }
  await ip('-n', ns.edge, 'route', 'add', A.azureNetwork, 'via', A.azureVpn);
  await ip('-n', ns.onprem, 'route', 'add', A.azureNetwork, 'via', A.azureToOnprem);
  await ip('-n', ns.azure, 'addr', 'add', `${A.azureDns}/32`, 'dev', 'lo');
}

/**
 * Deletes namespaces and their /etc/netns folders. `ip netns del` only unmounts: a namespace lives on while
 * a process is inside, so any process still in one (a fixture's child, an orphan of a killed run) is
 * killed by pid first. Every step is tried for every namespace; the first error is thrown at the end.
 */
async function removeNamespaces(names: string[]): Promise<void> {
  const errors: unknown[] = [];
  const present = new Set(await namespaceNames());
  for (const name of names) {
    if (present.has(name)) {
      for (const pid of await pidsIn(name)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      await ip('netns', 'del', name).catch((e: unknown) => errors.push(e));
    }
    await rm(path.join(NETNS_ETC, name), { recursive: true, force: true }).catch((e: unknown) => errors.push(e));
  }
  if (errors.length > 0) throw errors[0];
}

/** Namespaces of this tier that are still present (any run's). */
export async function tierNamespaces(): Promise<string[]> {
  return (await namespaceNames()).filter((name) => name.startsWith(PREFIX));
}

/** Removes what an earlier run left behind when it was killed before its teardown: its pid is gone. */
export async function sweepStale(): Promise<string[]> {
  const stale = (await tierNamespaces()).filter((name) => {
    const pid = Number(/^plpnet-(\d+)-/.exec(name)?.[1]);
    return Number.isInteger(pid) && pid !== process.pid && !isAlive(pid);
  });
  await removeNamespaces(stale);
  return stale;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
