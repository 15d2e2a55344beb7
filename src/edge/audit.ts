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
// | PROXY_CONFIGURED               | info     | https_proxy set for edgeAgent or the module: its DNS decides; 443 |
// |                                |          | is probed through the module's proxy                              |
// | PROXY_WITHOUT_WEBSOCKETS       | warning  | a proxy is set but UpstreamProtocol is not AmqpWs or MqttWs       |
// | HOSTS_PINNED                   | warning  | /etc/hosts answers a target name or its counterpart: masks DNS    |
// | NO_RESOLVER                    | error    | resolv.conf lists no nameserver                                   |
// | DOCKER_EMBEDDED_DNS            | info     | nameserver 127.0.0.11: test from a container, not from the host   |
// | CLOCK_SKEW                     | error    | the clock is more than 300 s off the Date of Azure's HTTPS        |
// |                                |          | answers: SAS tokens are rejected (makes overall unhealthy)        |
//
// Each id appears at most once (the twin keys findings by id). Each finding is a rule (finding.ts) in the file of
// its subject under rules/, listed in rules/index.ts; the automatic targets are in auto-targets.ts.
import { describeName } from '../probe/catalogue.js';
import type { HostnamePolicy, NameForm, RunResult, TargetSpec } from '../probe/types.js';
import { autoTargets } from './auto-targets.js';
import type { EdgeRuntimeConfig } from './config-toml.js';
import { clip, type AuditInput, type EdgeFinding } from './finding.js';
import type { EdgeContext } from './read.js';
import { RULES } from './rules/index.js';
import { upstreamPorts } from './upstream-protocol.js';

export type { EdgeFinding, FindingId } from './finding.js';

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

/** Audit what was read. Pure and total. */
export function auditEdge(ctx: EdgeContext, options: AuditOptions): EdgeAudit {
  const config = ctx.configToml.state === 'found' ? ctx.configToml.config : undefined;
  const hub = ctx.env.iothubHostname ?? config?.provisioning.iothubHostname ?? null;
  const ports = upstreamPorts(ctx.env.upstreamProtocol ?? config?.upstreamProtocol);
  const parent = config?.parentHostname ?? ctx.env.parentHostname;
  const auto = autoTargets(config, hub, ports, parent);
  const input: AuditInput = {
    ctx,
    config,
    policy: options.hostnamePolicy,
    measured: options.measured,
    hub,
    parent,
    ports,
    probed: [...auto, ...options.targets],
  };
  const findings = RULES.flatMap((rule): EdgeFinding[] => {
    const text = rule.check(input);
    return text === undefined ? [] : [{ id: rule.id, severity: rule.severity, text: clip(text) }];
  });
  const form = hub === null ? 'unknown' : describeName(hub).form;
  return {
    configToml: ctx.configToml.state,
    provisioning: provisioningText(config),
    upstream: {
      hostname: hub,
      form,
      policyOk: policyOk(form, options.hostnamePolicy),
      gateway: ctx.env.gatewayHostname ?? null,
    },
    findings,
    autoTargets: auto,
    resolvers: ctx.resolvConf?.nameservers ?? [],
    upstreamPorts: ports,
  };
}
