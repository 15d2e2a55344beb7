// The edge runtime audit: what the runtime's own configuration and the module's resolver context say, as
// findings that name the fix, the upstream status, and the automatic targets. Pure: `read.ts` does the
// reading. Given a probe run (AuditOptions.measured), the hub-name advice agrees with what its TLS
// handshakes measured.
//
// Findings (ids are stable: the twin keys them, dashboards and fleet queries use them):
//
// | id                             | severity | when                                                              |
// |--------------------------------|----------|-------------------------------------------------------------------|
// | CONFIG_TOML_NOT_MOUNTED        | info     | no config.toml at the path: provisioning is not audited           |
// | CONFIG_TOML_UNREADABLE         | warning  | config.toml exists but cannot be read (permission, a directory,   |
// |                                |          | a FIFO or device, larger than 256 KiB)                            |
// | CONFIG_TOML_INVALID            | warning  | not UTF-8, or not valid TOML (line and column only: the line may  |
// |                                |          | hold a key)                                                       |
// | PROVISIONING_INVALID           | warning  | [provisioning] missing, not a table, an unknown or upper-case     |
// |                                |          | source, a required field or connection-string key missing         |
// | INVALID_HOSTNAME               | warning  | a hostname field (config.toml or env) holds none, e.g. <hubname>  |
// | HUB_PUBLIC_NAME                | warning  | policy privatelink, a hub name (env or config.toml) is public     |
// | HUB_PRIVATELINK_NAME           | warning  | policy public, a hub name is the privatelink form                 |
// | HUB_CUSTOM_NAME                | warning  | policy not any, a hub name is in no IoT Hub zone                  |
// | UPSTREAM_IP_ADDRESS            | error    | a hub name is an IP literal: TLS cannot verify it                 |
// | HUB_NAME_MISMATCH              | warning  | env and config.toml name different hubs (config not applied)      |
// | DPS_GLOBAL_ENDPOINT_PUBLIC     | warning  | policy privatelink, global_endpoint is the public global name     |
// | DPS_PRIVATELINK_ENDPOINT       | warning  | policy public, global_endpoint is a privatelink name              |
// | DPS_INSTANCE_NAME              | info     | policy privatelink, DPS via global.*: endpoints serve <dps>.* too |
// | NESTED_EDGE                    | info     | parent_hostname (or local_gateway_hostname) set: the upstream is  |
// |                                |          | the parent, not the hub                                           |
// | AGENT_IMAGE_PUBLIC_REGISTRY    | warning  | policy privatelink, edgeAgent from mcr.microsoft.com / Docker Hub |
// | AGENT_REGISTRY_NO_CREDENTIALS  | info     | edgeAgent's image from an ACR, no credentials in                  |
// |                                |          | [agent.config.auth] (absent or empty)                             |
// | UPSTREAM_PROTOCOL_UNRECOGNISED | warning  | UpstreamProtocol is not Amqp, AmqpWs, Mqtt or MqttWs              |
// | PROXY_CONFIGURED               | info     | https_proxy set for edgeAgent or the module: probes go direct     |
// | HOSTS_PINNED                   | warning  | /etc/hosts answers a target name or its counterpart: masks DNS    |
// | NO_RESOLVER                    | error    | resolv.conf lists no nameserver                                   |
// | DOCKER_EMBEDDED_DNS            | info     | nameserver 127.0.0.11: test from a container, not from the host   |
//
// Each id appears at most once (the twin keys findings by id); a text that concerns several names lists them.
// Hub-name rules apply to every hub name known (the env's and config.toml's), nested edge included: lower
// layers name the same hub. A DPS instance name in public form (`<dps>.azure-devices-provisioning.net`)
// is accepted under `privatelink`: DPS private endpoints serve it as well as the global name. Under DPS the
// env's hub name is the one DPS assigned, always the public form: HUB_PUBLIC_NAME then says so. A hub-name
// finding advises the counterpart name unless the run measured that the hub's certificate does not cover
// it; then it advises keeping the name that verified (measured-names.ts).
// A missing resolv.conf or hosts file is no finding: the DNS steps of the probe show what resolution does.
//
// Automatic targets (source `auto`; desired targets override them, see mergeTargets):
//
// | name       | host                                          | ports                                        |
// |------------|-----------------------------------------------|----------------------------------------------|
// | `iothub`   | upstream hostname (env, else config.toml's)   | the upstream protocol's (upstream-protocol.ts) |
// | `parent`   | nested edge: parent_hostname, instead of `iothub` | the same, plus 443 for `$upstream` image pulls |
// | `dps`      | config.toml global_endpoint                   | 443: aziot-identityd provisions over HTTPS   |
// | `registry` | the agent image's registry, if an ACR name    | the kind's (443)                             |
//
// The hub gets the upstream protocol's ports only, as `iotedge check` tests them: probing 8883 on a network
// that only opens what AMQP needs would report a failure the runtime never meets. A lower layer of nested
// edge never reaches the hub itself, so its hub is not probed. mcr.microsoft.com and Docker Hub are not
// probed: they are not Private Link services (AGENT_IMAGE_PUBLIC_REGISTRY covers them).
import { describeName, type NameInfo } from '../probe/catalogue.js';
import { normalizeHostname } from '../probe/hostname.js';
import type { HostnamePolicy, NameForm, RunResult, TargetSpec } from '../probe/types.js';
import type { EdgeRuntimeConfig } from './config-toml.js';
import { measureSwitch, type MeasuredSwitch } from './measured-names.js';
import { APPLY, provisioningAdvice } from './provisioning-advice.js';
import type { EdgeContext } from './read.js';
import { DOCKER_EMBEDDED_DNS } from './resolver-context.js';
import { UNRECOGNISED, upstreamPorts } from './upstream-protocol.js';

export type FindingId =
  | 'CONFIG_TOML_NOT_MOUNTED'
  | 'CONFIG_TOML_UNREADABLE'
  | 'CONFIG_TOML_INVALID'
  | 'PROVISIONING_INVALID'
  | 'INVALID_HOSTNAME'
  | 'HUB_PUBLIC_NAME'
  | 'HUB_PRIVATELINK_NAME'
  | 'HUB_CUSTOM_NAME'
  | 'UPSTREAM_IP_ADDRESS'
  | 'HUB_NAME_MISMATCH'
  | 'DPS_GLOBAL_ENDPOINT_PUBLIC'
  | 'DPS_PRIVATELINK_ENDPOINT'
  | 'DPS_INSTANCE_NAME'
  | 'NESTED_EDGE'
  | 'AGENT_IMAGE_PUBLIC_REGISTRY'
  | 'AGENT_REGISTRY_NO_CREDENTIALS'
  | 'UPSTREAM_PROTOCOL_UNRECOGNISED'
  | 'PROXY_CONFIGURED'
  | 'HOSTS_PINNED'
  | 'NO_RESOLVER'
  | 'DOCKER_EMBEDDED_DNS';

export interface EdgeFinding {
  id: FindingId;
  severity: 'info' | 'warning' | 'error';
  /** One line that names the fix, at most 512 bytes (a twin string). */
  text: string;
}

export interface EdgeAudit {
  configToml: 'found' | 'not-mounted' | 'unreadable';
  /** `manual (sas)`, `manual (connection string)`, `dps (symmetric_key)`, `none`, `unknown` ... never a secret. */
  provisioning: string;
  upstream: {
    hostname: string | null;
    form: NameForm | 'unknown';
    policyOk: boolean;
    gateway: string | null;
  };
  findings: EdgeFinding[];
  autoTargets: TargetSpec[];
  /** resolv.conf nameservers. */
  resolvers: string[];
  /** Ports of the upstream connection, from `UpstreamProtocol`. */
  upstreamPorts: number[];
}

export interface AuditOptions {
  hostnamePolicy: HostnamePolicy;
  /** The desired (or CLI) targets, checked against /etc/hosts with the automatic ones. */
  targets: TargetSpec[];
  /** This run's results: the hub-name advice then agrees with the certificates it measured. */
  measured?: RunResult;
}

const MAX_TEXT_BYTES = 512;

/** Cut to 512 UTF-8 bytes on a character boundary, marking the cut. */
function clip(text: string): string {
  if (Buffer.byteLength(text) <= MAX_TEXT_BYTES) return text;
  let out = '';
  for (const ch of text) {
    if (Buffer.byteLength(out + ch) + Buffer.byteLength('…') > MAX_TEXT_BYTES) break;
    out += ch;
  }
  return `${out}…`;
}

const PUBLIC_REGISTRIES = new Set(['mcr.microsoft.com', 'docker.io']);

function provisioningText(config: EdgeRuntimeConfig | undefined): string {
  if (config === undefined) return 'unknown';
  const p = config.provisioning;
  switch (p.source) {
    case 'manual':
      if (p.via === 'connection_string') return 'manual (connection string)';
      return p.method === undefined ? 'manual' : `manual (${p.method})`;
    case 'dps':
      return p.method === undefined ? 'dps' : `dps (${p.method})`;
    case 'none':
      return 'none';
    case 'missing':
      return 'not configured';
    default:
      return 'unknown';
  }
}

function policyOk(form: NameForm | 'unknown', policy: HostnamePolicy): boolean {
  if (policy === 'any' || form === 'unknown') return true;
  return form === policy;
}

class Findings {
  readonly list: EdgeFinding[] = [];
  add(id: FindingId, severity: EdgeFinding['severity'], text: string): void {
    this.list.push({ id, severity, text: clip(text) });
  }
}

function auditConfigFile(ctx: EdgeContext, policy: HostnamePolicy, out: Findings): void {
  const { configToml, configTomlPath: path } = ctx;
  if (configToml.state === 'found') {
    const { problem, source } = configToml.config.provisioning;
    if (problem !== undefined) out.add('PROVISIONING_INVALID', 'warning', provisioningAdvice(problem, source, path, policy));
    return;
  }
  if (configToml.state === 'not-mounted') {
    out.add(
      'CONFIG_TOML_NOT_MOUNTED',
      'info',
      `config.toml not found at ${path}, so the runtime's provisioning is not audited: bind-mount the host's /etc/aziot/config.toml read-only there (createOptions HostConfig.Binds "/etc/aziot/config.toml:${path}:ro")`,
    );
    return;
  }
  const { cause, reason } = configToml;
  switch (cause) {
    case 'toml':
      out.add('CONFIG_TOML_INVALID', 'warning', `config.toml at ${path}: ${reason}, so the runtime cannot apply it either: fix it and ${APPLY}`);
      return;
    case 'encoding':
      out.add('CONFIG_TOML_INVALID', 'warning', `config.toml at ${path} is ${reason}, which the runtime refuses: save it as UTF-8 and ${APPLY}`);
      return;
    case 'directory':
      out.add(
        'CONFIG_TOML_UNREADABLE',
        'warning',
        `config.toml at ${path} is a directory, not a file, so the runtime's provisioning is not audited: Docker creates one at a bind mount whose host file did not exist when the container was created; bind the host's /etc/aziot/config.toml once it exists and recreate the module`,
      );
      return;
    case 'permission':
      out.add(
        'CONFIG_TOML_UNREADABLE',
        'warning',
        `config.toml at ${path} cannot be read: permission denied, so the runtime's provisioning is not audited: give the user the module runs as read access on the host (sudo setfacl -m u:1000:r /etc/aziot/config.toml)`,
      );
      return;
    default:
      out.add(
        'CONFIG_TOML_UNREADABLE',
        'warning',
        `config.toml at ${path} cannot be read: ${reason}, so the runtime's provisioning is not audited: bind-mount the host's /etc/aziot/config.toml itself there, read-only`,
      );
  }
}

/** ` (TLS for <name> verified on port N this run)` when the run confirmed the advised name; empty otherwise. */
function verifiedNote(measured: MeasuredSwitch | undefined): string {
  return measured?.outcome === 'verified' ? ` (TLS for ${measured.to} verified on port ${measured.port} this run)` : '';
}

/** The measured reason not to switch from `host` to the counterpart name. */
function notCoveredNote(measured: MeasuredSwitch, host: string): string {
  return `the hub's certificate, measured on port ${measured.port} this run, covers ${host} and not ${measured.to}, so switching would fail TLS`;
}

/**
 * HUB_PUBLIC_NAME: the privatelink name as the Private Link guidance prescribes it, unless the run measured
 * that the hub's certificate does not cover it: then the public name that verified, made to resolve privately.
 */
function publicHubAdvice(hub: NameInfo, also: string, assignedByDps: boolean, run: RunResult | undefined): string {
  const measured = measureSwitch(run, hub.host, hub.counterpart);
  const resolvePrivately = `make it resolve to the private endpoint (forward ${hub.publicZone} to the private resolver) and set hostnamePolicy to any`;
  if (measured?.outcome === 'not-covered') {
    const subject = assignedByDps ? `the runtime uses IoT Hub name ${hub.host}${also}, the public name DPS assigns,` : `IoT Hub name ${hub.host}${also} is the public name`;
    return `${subject} while hostnamePolicy is privatelink, but ${notCoveredNote(measured, hub.host)}: keep ${hub.host}, ${resolvePrivately}`;
  }
  const verified = verifiedNote(measured);
  return assignedByDps
    ? `the runtime uses IoT Hub name ${hub.host}${also}, the public name DPS assigns, while hostnamePolicy is privatelink: ${resolvePrivately}, or provision manually with iothub_hostname = "${hub.counterpart}"${verified}`
    : `IoT Hub name ${hub.host}${also} is the public name while hostnamePolicy is privatelink: set iothub_hostname = "${hub.counterpart}"${verified} in config.toml as the Private Link guidance prescribes and ${APPLY}, or set hostnamePolicy to match the name you intend`;
}

function auditHubNames(
  ctx: EdgeContext,
  config: EdgeRuntimeConfig | undefined,
  policy: HostnamePolicy,
  run: RunResult | undefined,
  out: Findings,
): void {
  const envHub = ctx.env.iothubHostname;
  const configHub = config?.provisioning.iothubHostname;
  if (envHub !== undefined && configHub !== undefined && envHub !== configHub) {
    out.add(
      'HUB_NAME_MISMATCH',
      'warning',
      `the runtime gives modules IoT Hub name ${envHub} but config.toml says ${configHub}: config.toml was changed without being applied; ${APPLY} (or mount the config.toml this device really uses)`,
    );
  }
  const names = [...new Set([envHub, configHub].filter((n): n is string => n !== undefined))];
  const assignedByDps = config?.provisioning.source === 'dps';
  const byForm = (form: NameForm) => names.map(describeName).filter((info) => info.form === form);

  const ips = byForm('ip');
  if (ips.length > 0) {
    out.add(
      'UPSTREAM_IP_ADDRESS',
      'error',
      `IoT Hub is configured by IP address ${ips.map((i) => i.host).join(', ')}: TLS cannot verify an address against the hub's certificate; set iothub_hostname to the hub's name (<hub>.privatelink.azure-devices.net) and let DNS give the private address`,
    );
  }
  if (policy === 'privatelink') {
    const [first, ...rest] = byForm('public');
    if (first !== undefined) out.add('HUB_PUBLIC_NAME', 'warning', publicHubAdvice(first, alsoNamed(rest), assignedByDps && first.host === envHub, run));
  }
  if (policy === 'public') {
    const [first, ...rest] = byForm('privatelink');
    if (first !== undefined) {
      const also = alsoNamed(rest);
      const measured = measureSwitch(run, first.host, first.counterpart);
      out.add(
        'HUB_PRIVATELINK_NAME',
        'warning',
        measured?.outcome === 'not-covered'
          ? `IoT Hub name ${first.host}${also} is the privatelink name while hostnamePolicy is public, but ${notCoveredNote(measured, first.host)}: keep iothub_hostname = "${first.host}" and set hostnamePolicy to privatelink`
          : `IoT Hub name ${first.host}${also} is the privatelink name while hostnamePolicy is public: set iothub_hostname = "${first.counterpart}"${verifiedNote(measured)} in config.toml and ${APPLY}, or set hostnamePolicy to privatelink`,
      );
    }
  }
  const custom = byForm('custom');
  if (policy !== 'any' && custom.length > 0) {
    out.add(
      'HUB_CUSTOM_NAME',
      'warning',
      `IoT Hub name ${custom.map((i) => i.host).join(', ')} is in no IoT Hub DNS zone while hostnamePolicy is ${policy}: the hub's certificate is issued for its own name; set iothub_hostname to <hub>.${policy === 'privatelink' ? 'privatelink.' : ''}azure-devices.net and ${APPLY}`,
    );
  }
}

function auditDps(config: EdgeRuntimeConfig | undefined, policy: HostnamePolicy, out: Findings): void {
  const endpoint = config?.provisioning.dpsEndpoint;
  if (endpoint === undefined) return;
  const info = describeName(endpoint);
  if (info.kind !== 'dps') return;
  const global = info.resource === 'global';
  if (policy === 'privatelink' && global && info.form === 'public') {
    out.add(
      'DPS_GLOBAL_ENDPOINT_PUBLIC',
      'warning',
      `DPS global_endpoint is the public ${info.host} while hostnamePolicy is privatelink: set global_endpoint = "https://${info.counterpart}" as the Private Link guidance prescribes, and ${APPLY}`,
    );
  }
  if (policy === 'public' && info.form === 'privatelink') {
    out.add(
      'DPS_PRIVATELINK_ENDPOINT',
      'warning',
      `DPS global_endpoint ${info.host} is a privatelink name while hostnamePolicy is public: set global_endpoint = "https://${info.counterpart}" and ${APPLY}, or set hostnamePolicy to privatelink`,
    );
  }
  if (policy === 'privatelink' && global) {
    out.add(
      'DPS_INSTANCE_NAME',
      'info',
      `DPS private endpoints serve the instance name <dps>.${info.publicZone} (through <dps>.${info.privateZone}); the Private Link guidance prescribes global.${info.privateZone}: both are supported, so also probe your instance name with a desired target (e.g. targets.dpsInstance.host)`,
    );
  }
}

function auditRegistry(config: EdgeRuntimeConfig | undefined, policy: HostnamePolicy, out: Findings): void {
  const registry = config?.agentImageRegistry;
  if (registry === undefined) return;
  if (policy === 'privatelink' && PUBLIC_REGISTRIES.has(registry)) {
    out.add(
      'AGENT_IMAGE_PUBLIC_REGISTRY',
      'warning',
      `edgeAgent's image comes from ${registry}, a public registry, while hostnamePolicy is privatelink: an isolated network cannot pull it; import azureiotedge-agent and azureiotedge-hub into your private ACR (az acr import) and set [agent.config] image = "<registry>.azurecr.io/azureiotedge-agent:<tag>"`,
    );
  }
  if (describeName(registry).kind === 'acr' && !config?.registryCredentials) {
    out.add(
      'AGENT_REGISTRY_NO_CREDENTIALS',
      'info',
      `edgeAgent's image comes from ${registry} but config.toml's [agent.config.auth] holds no credentials (absent or empty): the first pull needs credentials unless the registry allows anonymous pull; add serveraddress, username and password there and ${APPLY}`,
    );
  }
}

function auditProtocolAndProxy(ctx: EdgeContext, config: EdgeRuntimeConfig | undefined, out: Findings): void {
  const unrecognised = [
    ctx.env.upstreamProtocol === UNRECOGNISED ? "the module's environment" : undefined,
    config?.upstreamProtocol === UNRECOGNISED ? 'config.toml [agent.env]' : undefined,
  ].filter((s): s is string => s !== undefined);
  if (unrecognised.length > 0) {
    out.add(
      'UPSTREAM_PROTOCOL_UNRECOGNISED',
      'warning',
      `UpstreamProtocol in ${unrecognised.join(' and ')} is not a value the runtime knows (value not shown), so it uses its default, AMQP with AMQP over WebSockets: set Amqp, AmqpWs, Mqtt or MqttWs`,
    );
  }
  const proxies = [
    config?.proxy === undefined ? undefined : { where: 'config.toml [agent.env]', proxy: config.proxy },
    ctx.env.proxy === undefined ? undefined : { where: "the module's environment", proxy: ctx.env.proxy },
  ].filter((p) => p !== undefined);
  if (proxies.length > 0) {
    const urls = [...new Set(proxies.map((p) => p.proxy.url ?? '(not a URL, value not shown)'))].join(', ');
    out.add(
      'PROXY_CONFIGURED',
      'info',
      `https_proxy ${urls} is set in ${proxies.map((p) => p.where).join(' and ')}: the runtime reaches the cloud through it, but this module's probes connect directly, not via the proxy; a direct-path failure does not prove the runtime's path is broken, so read the results as the direct path`,
    );
  }
}

function auditResolverContext(ctx: EdgeContext, probed: TargetSpec[], out: Findings): void {
  const { resolvConf, hosts } = ctx;
  if (resolvConf !== undefined && resolvConf.nameservers.length === 0) {
    out.add(
      'NO_RESOLVER',
      'error',
      'resolv.conf lists no nameserver, so no resolver is reachable and every name fails: give the container a resolver (the Docker daemon\'s "dns" setting or createOptions HostConfig.Dns)',
    );
  }
  if (resolvConf?.dockerEmbedded) {
    out.add(
      'DOCKER_EMBEDDED_DNS',
      'info',
      `the module resolves through Docker's embedded DNS ${DOCKER_EMBEDDED_DNS}, which forwards to the host's resolvers (or the daemon's "dns" setting): test names from a container on the same network (docker run --network azure-iot-edge <image> check), not from the host`,
    );
  }
  if (hosts === undefined) return;
  const pinned = new Map<string, readonly string[]>();
  for (const target of probed) {
    const info = describeName(target.host);
    for (const name of [info.host, info.counterpart]) {
      const addresses = name === undefined ? undefined : hosts.get(name);
      if (name !== undefined && addresses !== undefined) pinned.set(name, addresses);
    }
  }
  if (pinned.size > 0) {
    const list = [...pinned].map(([name, addresses]) => `${name} → ${addresses.join(' ')}`).join(', ');
    out.add(
      'HOSTS_PINNED',
      'warning',
      `/etc/hosts pins ${list}: these names never reach DNS, so a broken private zone stays hidden and a changed endpoint address goes unnoticed; remove the entries (createOptions HostConfig.ExtraHosts) once DNS answers`,
    );
  }
}

/** Nested edge: the upstream ports, plus 443 when edgeAgent's image is pulled through the parent (`$upstream:443`). */
function parentPorts(config: EdgeRuntimeConfig | undefined, ports: number[]): number[] {
  return config?.agentImageRegistry === '$upstream' && !ports.includes(443) ? [...ports, 443] : ports;
}

function autoTargets(
  config: EdgeRuntimeConfig | undefined,
  hub: string | null,
  ports: number[],
  parent: string | undefined,
): TargetSpec[] {
  const targets: TargetSpec[] = [];
  if (parent !== undefined) {
    targets.push({ name: 'parent', host: parent, kind: 'custom', ports: parentPorts(config, ports), source: 'auto' });
  } else if (hub !== null) {
    targets.push({ name: 'iothub', host: hub, kind: 'iothub', ports, source: 'auto' });
  }
  const dps = config?.provisioning.dpsEndpoint;
  if (dps !== undefined) targets.push({ name: 'dps', host: dps, kind: 'dps', ports: [443], source: 'auto' });
  const registry = config?.agentImageRegistry;
  if (registry !== undefined && describeName(registry).kind === 'acr') {
    targets.push({ name: 'registry', host: registry, kind: 'acr', source: 'auto' });
  }
  return targets;
}

/** ` (also a, b)` for the further names a hub-name finding concerns; empty when there are none. */
function alsoNamed(rest: ReadonlyArray<{ host: string }>): string {
  return rest.length > 0 ? ` (also ${rest.map((i) => i.host).join(', ')})` : '';
}

/** Audit what was read. Pure and total. */
export function auditEdge(ctx: EdgeContext, options: AuditOptions): EdgeAudit {
  const policy = options.hostnamePolicy;
  const config = ctx.configToml.state === 'found' ? ctx.configToml.config : undefined;
  const out = new Findings();

  auditConfigFile(ctx, policy, out);
  const invalid = [...(config?.invalidFields ?? []), ...ctx.env.invalidFields];
  if (invalid.length > 0) {
    out.add(
      'INVALID_HOSTNAME',
      'warning',
      `${invalid.join(', ')} ${invalid.length === 1 ? 'holds' : 'hold'} no valid hostname (a placeholder such as <hubname> left in?): set the real name (the value is not shown)`,
    );
  }
  auditHubNames(ctx, config, policy, options.measured, out);
  auditDps(config, policy, out);

  const hub = ctx.env.iothubHostname ?? config?.provisioning.iothubHostname ?? null;
  const ports = upstreamPorts(ctx.env.upstreamProtocol ?? config?.upstreamProtocol);
  const parent = config?.parentHostname ?? ctx.env.parentHostname;
  const auto = autoTargets(config, hub, ports, parent);
  if (parent !== undefined) {
    const setting =
      config?.parentHostnameKey === 'local_gateway_hostname'
        ? `local_gateway_hostname ${parent} is set (the runtime reads it as parent_hostname)`
        : `parent_hostname ${parent} is set`;
    out.add(
      'NESTED_EDGE',
      'info',
      `${setting}: this device's upstream is the parent edge device, not IoT Hub, so the probe checks ${parent} on ports ${parentPorts(config, ports).join(', ')} instead of the hub; its certificate chains to the parent's edge CA: give that CA (CA_FILE / --ca-file) for TLS to verify`,
    );
  }
  auditRegistry(config, policy, out);
  auditProtocolAndProxy(ctx, config, out);
  auditResolverContext(ctx, [...auto, ...options.targets], out);

  const form = hub === null ? 'unknown' : describeName(hub).form;
  return {
    configToml: ctx.configToml.state,
    provisioning: provisioningText(config),
    upstream: {
      hostname: hub,
      form,
      policyOk: policyOk(form, policy),
      gateway: ctx.env.gatewayHostname ?? null,
    },
    findings: out.list,
    autoTargets: auto,
    resolvers: ctx.resolvConf?.nameservers ?? [],
    upstreamPorts: ports,
  };
}

/**
 * Automatic targets merged with desired ones: a desired target replaces the automatic one
 * of the same name (in its place); an automatic target whose host a desired target already probes is
 * dropped; the other desired targets follow in their order.
 */
export function mergeTargets(auto: TargetSpec[], desired: TargetSpec[]): TargetSpec[] {
  const byName = new Map(desired.map((t) => [t.name, t]));
  const desiredHosts = new Set(desired.map((t) => normalizeHostname(t.host)));
  const merged: TargetSpec[] = [];
  for (const a of auto) {
    const replacement = byName.get(a.name);
    if (replacement !== undefined) {
      merged.push(replacement);
      byName.delete(a.name);
    } else if (!desiredHosts.has(normalizeHostname(a.host))) {
      merged.push(a);
    }
  }
  return [...merged, ...desired.filter((t) => byName.has(t.name))];
}
