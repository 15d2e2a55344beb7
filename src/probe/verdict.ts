// Verdict rules: from what the steps measured to one status, one stable code and one line that names the fix.
// Read top to bottom: DNS decides first (nothing else matters when the name goes to the wrong place), then
// each port's TCP, TLS and service exchange, then the degraded conditions. The first rule that fires wins.
import { sameAddress } from './address.js';
import type { NameInfo } from './catalogue.js';
import { PORT_STEPS, portSteps, proxied } from './steps.js';
import { CODE_STATUS } from './types.js';
import type {
  Code,
  DnsAnswer,
  DnsOutcome,
  HostnamePolicy,
  Kind,
  PortResult,
  ProbeSettings,
  ProxyResult,
  ServiceProtocol,
  ServiceResult,
  Status,
  TargetDns,
  TcpOutcome,
  TcpResult,
  TlsOutcome,
  TlsResult,
} from './types.js';

export interface Verdict {
  status: Status;
  code: Code;
  reason: string;
}

/** What the rules look at for one target. */
export interface VerdictInput {
  host: string;
  kind: Kind;
  name: NameInfo;
  dns: TargetDns;
  ports: PortResult[];
  expectedAddresses?: string[];
  /** Private addresses the counterpart name resolved to: proof that the private record exists. */
  counterpartPrivate?: string[];
  settings: Pick<ProbeSettings, 'hostnamePolicy' | 'expiringDays' | 'slowMs' | 'timeoutMs' | 'systemDns'>;
}

const DNS_CODES: Record<Exclude<DnsOutcome, 'ok'>, Code> = {
  nxdomain: 'DNS_NXDOMAIN',
  servfail: 'DNS_SERVFAIL',
  // The code a SERVFAIL has: the zone cannot be reached through the resolver, whichever of the two it was.
  'temporary-failure': 'DNS_SERVFAIL',
  refused: 'DNS_REFUSED',
  timeout: 'DNS_TIMEOUT',
  'no-answer': 'DNS_NO_ANSWER',
  'cname-loop': 'DNS_CNAME_LOOP',
  // The same code: dashboards already read DNS_CNAME_LOOP as "the chain cannot be followed"; the reason says which.
  'cname-too-long': 'DNS_CNAME_LOOP',
  malformed: 'DNS_MALFORMED',
  error: 'DNS_FAILED',
};

const TCP_CODES: Record<Exclude<TcpOutcome, 'ok'>, Code> = {
  refused: 'TCP_REFUSED',
  timeout: 'TCP_TIMEOUT',
  unreachable: 'TCP_UNREACHABLE',
  reset: 'TCP_RESET',
  error: 'TCP_FAILED',
};

const TLS_CODES: Record<Exclude<TlsOutcome, 'ok'>, Code> = {
  'hostname-mismatch': 'TLS_HOSTNAME_MISMATCH',
  untrusted: 'TLS_UNTRUSTED',
  expired: 'TLS_EXPIRED',
  'not-yet-valid': 'TLS_NOT_YET_VALID',
  timeout: 'TLS_TIMEOUT',
  stalled: 'TLS_STALLED',
  failed: 'TLS_FAILED',
};

export function verdictOf(code: Code, reason: string): Verdict {
  return { status: CODE_STATUS[code], code, reason };
}

/** The zone advice shared by the DNS reasons: which private zone, and which public zone a forwarder needs. */
function zoneAdvice(name: NameInfo): string {
  if (!name.privateZone || !name.publicZone) return 'check the record in the DNS server this network uses';
  return (
    `link the private DNS zone ${name.privateZone} to the network's virtual network and make the ` +
    `on-premises resolver forward ${name.publicZone} to the Azure DNS Private Resolver`
  );
}

function inUse(dns: TargetDns): DnsAnswer | undefined {
  return dns.answers.find((a) => a.resolver === dns.resolver) ?? dns.answers[0];
}

/** DNS rules: failure of the answer in use, then a public address, then an address outside the pin. */
export function dnsVerdict(input: VerdictInput): Verdict | undefined {
  const { host, dns, name } = input;
  const answer = inUse(dns);
  // An IP literal: nothing was resolved, but where it leads is judged as an answer's addresses are.
  if (!answer) return addressVerdict(input, undefined);
  const via = answer.resolver === 'system' ? 'the system resolver' : `DNS server ${answer.resolver}`;
  if (answer.outcome !== 'ok') {
    const code = DNS_CODES[answer.outcome];
    const chain = answer.cname.length > 0 ? ` (after CNAME ${answer.cname.join(' > ')})` : '';
    switch (answer.outcome) {
      case 'nxdomain':
        return verdictOf(
          code,
          name.privateZone
            ? `${host} does not exist${chain} according to ${via}: the private zone ${name.privateZone} has no record for it; ` +
                `add the private endpoint's DNS zone group, or ${zoneAdvice(name)}`
            : `${host} does not exist according to ${via}: check the name and the zone it belongs to`,
        );
      case 'timeout': {
        const which = answer.error?.startsWith('EAI_AGAIN') ? ` (${answer.error})` : '';
        return verdictOf(
          code,
          `${via} did not answer for ${host} within ${input.settings.timeoutMs} ms${which}: check that the resolver is up and reachable from this network`,
        );
      }
      case 'cname-loop':
        return verdictOf(code, `${host} has a CNAME loop${chain} at ${via}: fix the CNAME records in the zone`);
      case 'cname-too-long':
        return verdictOf(
          code,
          `${host} has a CNAME chain too long to follow at ${via} (${answer.error}: ${answer.cname[0]} > … > ${answer.cname.at(-1)}): ` +
            'shorten the chain in the zone; resolvers give up after that many aliases',
        );
      case 'malformed':
        return verdictOf(
          code,
          `${via} sent a malformed answer for ${host} (${answer.error}): something between this device and the resolver, such as a broken ` +
            'middlebox or DNS proxy, mangles DNS traffic, or the resolver itself is faulty; query it from another host to tell which',
        );
      case 'error':
        return verdictOf(
          code,
          `could not ask ${via} about ${host} (${answer.error ?? 'error'}): check the resolver's address and that it is reachable from this network`,
        );
      case 'no-answer':
        return verdictOf(
          code,
          `${via} knows ${host} but has no A or AAAA record for it${chain}: add the private endpoint's A record`,
        );
      case 'temporary-failure':
        // getaddrinfo says EAI_AGAIN both when its nameservers are down and when they answered SERVFAIL.
        return verdictOf(
          code,
          `the system resolver could not resolve ${host} (${answer.error ?? 'EAI_AGAIN'}): the nameservers in resolv.conf are down or unreachable, or they fail to reach the zone; check them first, then ${zoneAdvice(name)}`,
        );
      default:
        return verdictOf(
          code,
          `${via} answered ${answer.rcode ?? answer.error ?? answer.outcome} for ${host}: the resolver cannot reach the zone; ${zoneAdvice(name)}`,
        );
    }
  }
  return addressVerdict(input, via);
}

/**
 * The addresses connections would use: a public one (outside the private ranges), then one outside the pin.
 * `via` names the resolver that gave them; undefined for an IP literal, which is held to the same rule.
 */
function addressVerdict(input: VerdictInput, via: string | undefined): Verdict | undefined {
  const { host, dns, name } = input;
  const publicAddress = dns.addresses.find((a) => !a.private);
  if (publicAddress && via === undefined) {
    return verdictOf(
      'DNS_PUBLIC_ADDRESS',
      `${host} is a public address, outside the private ranges, so it is not connected to: a private endpoint has a private address; ` +
        'configure its private address or name, or add the range to dns.privateRanges',
    );
  }
  if (publicAddress) {
    const proof = input.counterpartPrivate ?? [];
    const hint =
      proof.length > 0 && name.counterpart
        ? `; ${name.counterpart} resolves to private ${proof.join(', ')}, so the record exists but this name does not reach it: ${zoneAdvice(name)}`
        : `: ${zoneAdvice(name)}`;
    return verdictOf('DNS_PUBLIC_ADDRESS', `${host} resolves to public ${publicAddress.address} via ${via}${hint}`);
  }
  const expected = input.expectedAddresses;
  if (expected && expected.length > 0) {
    const stray = dns.addresses.find((a) => !expected.some((e) => sameAddress(e, a.address)));
    if (stray) {
      return verdictOf(
        'DNS_UNEXPECTED_ADDRESS',
        `${via === undefined ? host : `${host} resolves to ${stray.address}`}, not the pinned ${expected.join(', ')}: the DNS record is stale or the private endpoint was recreated; update the record or expectedAddresses`,
      );
    }
  }
  return undefined;
}

function tcpVerdict(host: string, port: number, tcp: TcpResult): Verdict {
  const code = TCP_CODES[tcp.outcome as Exclude<TcpOutcome, 'ok'>];
  const at = `${tcp.address}:${port}`;
  switch (tcp.outcome) {
    case 'refused':
      return verdictOf(
        code,
        `${at} (${host}) refused the connection: the private endpoint does not serve port ${port}, or a firewall rejects it`,
      );
    case 'timeout':
      return verdictOf(
        code,
        `${at} (${host}) did not answer within the timeout: a firewall or NSG drops port ${port} on the way to the private endpoint`,
      );
    case 'unreachable':
      return verdictOf(
        code,
        `no route to ${at} (${host}): the VPN or ExpressRoute link to the virtual network is down, or a route is missing`,
      );
    case 'reset':
      return verdictOf(
        code,
        `${at} (${host}) reset the connection: a firewall or proxy in the path rejects port ${port}`,
      );
    default:
      return verdictOf(code, `connecting to ${at} (${host}) failed: ${tcp.error ?? 'unknown error'}`);
  }
}

function tlsFailureVerdict(host: string, port: number, tls: TlsResult): Verdict {
  const code = TLS_CODES[tls.outcome as Exclude<TlsOutcome, 'ok'>];
  const at = `${tls.address}:${port}`;
  const cert = tls.cert;
  switch (tls.outcome) {
    case 'hostname-mismatch': {
      const covers =
        cert && cert.sans.length > 0 ? cert.sans.slice(0, 4).join(', ') : (cert?.subject ?? 'another name');
      const cp = tls.counterpart;
      const fix =
        cp && cp.outcome === 'ok'
          ? `the endpoint is right, but its certificate covers ${covers}, not ${host}: configure clients with ${cp.servername}`
          : `its certificate covers ${covers}, not ${host}: configure clients with a name the certificate covers`;
      return verdictOf(code, `TLS on ${at}: ${fix}`);
    }
    case 'untrusted':
      return verdictOf(
        code,
        `TLS on ${at} (${host}): the certificate chain (issuer ${cert?.issuer ?? 'unknown'}) is not trusted: a TLS-inspecting proxy re-signs traffic, or add its CA with --ca-file / CA_FILE`,
      );
    case 'expired':
      return verdictOf(
        code,
        `TLS on ${at} (${host}): the certificate expired on ${cert?.notAfter ?? 'an earlier date'}: whatever presents it (a proxy?) must renew it`,
      );
    case 'not-yet-valid':
      return verdictOf(
        code,
        `TLS on ${at} (${host}): the certificate is not valid before ${cert?.notBefore ?? 'a later date'}: check the device clock (NTP)`,
      );
    // The TLS step runs on a connected socket: TCP is up in both. Only whether any byte came back tells them apart.
    case 'timeout':
      return verdictOf(
        code,
        `TLS on ${at} (${host}): TCP connected, but no byte of a TLS handshake came back within the timeout: something accepts TCP on port ${port} but does not speak TLS, or the path drops large packets (a tunnel without TCP MSS clamping loses the server's full-size first segment); check what listens there, or clamp the TCP MSS on the tunnel`,
      );
    case 'stalled':
      return verdictOf(
        code,
        `TLS on ${at} (${host}): the handshake stalled after the server's first ${tls.bytesReceived ?? 'few'} bytes: the rest of its first flight (the certificate chain) is cut in transit, typically packets above a tunnel's path MTU are dropped (IPsec/VPN without TCP MSS clamping) or a middlebox drops the certificate; clamp the TCP MSS on the tunnel or lower its MTU`,
      );
    default:
      return verdictOf(code, `TLS on ${at} (${host}) failed: ${tls.error ?? 'unknown error'}`);
  }
}

const PROTOCOL_NAMES: Record<ServiceProtocol, string> = { mqtt: 'MQTT', amqp: 'AMQP', https: 'HTTPS' };

/**
 * The service exchange after a verified handshake: no answer is a filter above TLS (unhealthy: the runtime's
 * own protocol is stopped the same way); an answer that is not Azure's is something standing in its place.
 */
function serviceVerdict(host: string, address: string, port: number, service: ServiceResult): Verdict | undefined {
  const name = service.protocol ? PROTOCOL_NAMES[service.protocol] : 'the service';
  const at = `${address}:${port}`;
  if (service.outcome === 'blocked') {
    return verdictOf(
      'APP_BLOCKED',
      `${name} on ${at} (${host}): TLS completed, but ${service.detail}: a firewall between this device and the private endpoint ` +
        `filters by application (next-generation firewall, IPS); allow ${name} to the endpoint, not only TCP ${port}`,
    );
  }
  if (service.outcome === 'foreign') {
    return verdictOf(
      'APP_FOREIGN',
      `${name} on ${at} (${host}) was answered by something that is not Azure (${service.detail}): a proxy, a firewall's block page ` +
        `or another service answers in the endpoint's place; exempt ${host} from the proxy or firewall policy, or check where the address leads`,
    );
  }
  return undefined;
}

/** One port: the first TCP failure (any address), then TLS, then the service, then the degraded TLS conditions. */
export function portVerdict(
  input: Pick<VerdictInput, 'host' | 'kind' | 'settings'>,
  port: Pick<PortResult, 'port' | 'tcp' | 'tls' | 'service'>,
): Verdict {
  const failedTcp = port.tcp.find((t) => t.outcome !== 'ok');
  if (failedTcp) return tcpVerdict(input.host, port.port, failedTcp);
  const tls = port.tls;
  if (!tls) return verdictOf('OK', `port ${port.port} accepts connections`);
  if (tls.outcome !== 'ok') return tlsFailureVerdict(input.host, port.port, tls);
  const service = port.service && serviceVerdict(input.host, tls.address, port.port, port.service);
  if (service) return service;
  const cert = tls.cert;
  if (cert && cert.daysLeft <= input.settings.expiringDays) {
    return verdictOf(
      'TLS_EXPIRING',
      `TLS on ${tls.address}:${port.port} (${input.host}): the certificate expires in ${cert.daysLeft} days (${cert.notAfter})`,
    );
  }
  // The TLS step matched the chain against settings.knownRoots (tls.azureRoot).
  if (input.kind !== 'custom' && tls.azureRoot !== true) {
    return verdictOf(
      'TLS_INSPECTED',
      `TLS on ${tls.address}:${port.port} (${input.host}) chains to ${cert?.chainTop ?? 'an unknown root'}, not a root Azure uses: a TLS-inspecting proxy is re-signing traffic; exempt this host from inspection`,
    );
  }
  const answered = port.service?.outcome === 'ok' ? `, ${PROTOCOL_NAMES[port.service.protocol!]} answered` : '';
  return verdictOf(
    'OK',
    `port ${port.port}: TLS ${tls.protocol ?? ''} verified for ${input.host}${answered}`.replace('  ', ' '),
  );
}

/**
 * The port as the runtime goes on 443 behind a proxy: the CONNECT first, then TLS and the service through the
 * tunnel, judged as the direct path is. The proxy resolves the name, so a 5xx to CONNECT is where a proxy
 * whose DNS does not see the private zone shows.
 */
export function proxyPathVerdict(
  input: Pick<VerdictInput, 'host' | 'kind' | 'name' | 'settings'>,
  port: number,
  proxy: ProxyResult,
): Verdict {
  const via = `through the proxy ${proxy.url}`;
  const answer = proxy.error ? ` (${proxy.error})` : proxy.status ? ` (${proxy.status})` : '';
  const target = `${input.host}:${port}`;
  switch (proxy.outcome) {
    case 'ok':
    case 'bypassed': {
      const v = portVerdict(input, { port, tcp: [], tls: proxy.tls, service: proxy.service });
      return { ...v, reason: `${via}: ${v.reason}` };
    }
    case 'unreachable':
      return verdictOf(
        'PROXY_UNREACHABLE',
        `the proxy ${proxy.url} cannot be reached${answer}: the runtime's traffic on 443 goes through it; check https_proxy and that the proxy is up and reachable from this network`,
      );
    case 'auth-required':
      return verdictOf(
        'PROXY_AUTH_REQUIRED',
        `the proxy ${proxy.url} asks for credentials${answer} to CONNECT to ${target}: give them in https_proxy as http://user:password@host:port for the runtime and this module, or check the ones given`,
      );
    case 'denied':
      return verdictOf(
        'PROXY_DENIED',
        `the proxy ${proxy.url} refuses CONNECT to ${target}${answer}: allow ${input.host} on port ${port} in the proxy's policy`,
      );
    case 'upstream-failed': {
      const fix =
        input.name.form === 'privatelink' && input.name.privateZone
          ? `the proxy resolves the name itself and its DNS does not see the private zone ${input.name.privateZone}: make the proxy's resolver forward ${input.name.publicZone ?? 'the zone'} to the Azure DNS Private Resolver, or exempt ${input.host} with NO_PROXY`
          : `the proxy cannot resolve or reach it: check the proxy's DNS and its route to the endpoint, or exempt ${input.host} with NO_PROXY`;
      return verdictOf('PROXY_UPSTREAM_FAILED', `the proxy ${proxy.url} could not reach ${target}${answer}: ${fix}`);
    }
  }
}

function policyVerdict(host: string, name: NameInfo, policy: HostnamePolicy): Verdict | undefined {
  if (policy === 'any' || name.form === 'custom') return undefined;
  if (name.form === 'ip') {
    return verdictOf(
      'HOSTNAME_POLICY',
      `${host} is an IP address: TLS cannot verify it; configure the ${policy} hostname instead`,
    );
  }
  if (name.form !== policy && name.counterpart) {
    return verdictOf(
      'HOSTNAME_POLICY',
      `${host} is the ${name.form} name while hostnamePolicy is ${policy}: configure ${name.counterpart}` +
        (policy === 'privatelink' ? ' (the Private Link guidance for IoT Edge prescribes the privatelink FQDN)' : ''),
    );
  }
  return undefined;
}

function slowVerdict(input: VerdictInput): Verdict | undefined {
  const limit = input.settings.slowMs > 0 ? input.settings.slowMs : input.settings.timeoutMs / 2;
  const steps: Array<[string, number]> = [['DNS', input.dns.ms]];
  for (const p of input.ports) {
    // Where the proxy path decides the port, the direct path's steps (a connect the firewall drops) are not its time.
    for (const s of portSteps(p).filter((step) => !proxied(p) || step.step === 'proxy'))
      steps.push([`${PORT_STEPS.find((d) => d.step === s.step)!.doing} ${p.port}`, s.ms]);
  }
  const slow = steps.find(([, ms]) => ms > limit);
  if (!slow) return undefined;
  return verdictOf(
    'SLOW',
    `${slow[0]} for ${input.host} took ${Math.round(slow[1])} ms (over ${Math.round(limit)} ms): the path to the private endpoint is congested or detours`,
  );
}

/** The whole target: DNS first, then the ports in order, then the degraded conditions. */
export function targetVerdict(input: VerdictInput): Verdict {
  const dns = dnsVerdict(input);
  if (dns) return dns;
  const portVerdicts = input.ports.map((p) => verdictOf(p.code, p.reason));
  const unhealthy = portVerdicts.find((v) => v.status === 'unhealthy');
  if (unhealthy) return unhealthy;
  if (input.dns.mismatch) {
    const summary = input.dns.answers
      .map((a) => `${a.resolver}: ${a.outcome === 'ok' ? a.addresses.join(' ') || 'none' : a.outcome}`)
      .join('; ');
    return verdictOf(
      'DNS_RESOLVER_MISMATCH',
      `resolvers disagree about ${input.host} (${summary}): one of them does not see the private zone`,
    );
  }
  const degraded = portVerdicts.find((v) => v.status === 'degraded');
  if (degraded) return degraded;
  const policy = policyVerdict(input.host, input.name, input.settings.hostnamePolicy);
  if (policy) return policy;
  const slow = slowVerdict(input);
  if (slow) return slow;
  const via = input.dns.resolver === 'system' ? 'the system resolver' : input.dns.resolver;
  const addresses = input.dns.addresses.map((a) => a.address).join(', ');
  return verdictOf(
    'OK',
    `${input.host} resolves to private ${addresses || 'address'} via ${via}; ports ${input.ports.map((p) => p.port).join(', ')} verified`,
  );
}
