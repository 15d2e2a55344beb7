// Rules on how the runtime reaches the cloud: nested edge, where edgeAgent's image comes from, the upstream
// protocol and a proxy.
import { describeName } from '../../probe/catalogue.js';
import { parentPorts } from '../auto-targets.js';
import type { AuditInput, Rule } from '../finding.js';
import { APPLY } from '../provisioning-advice.js';
import type { ProxySetting } from '../redact.js';
import { UNRECOGNISED } from '../upstream-protocol.js';

const PUBLIC_REGISTRIES = new Set(['mcr.microsoft.com', 'docker.io']);

export const runtimeRules: Rule[] = [
  {
    id: 'NESTED_EDGE',
    severity: 'info',
    check: ({ config, parent, ports }) => {
      if (parent === undefined) return undefined;
      const setting =
        config?.parentHostnameKey === 'local_gateway_hostname'
          ? `local_gateway_hostname ${parent} is set (the runtime reads it as parent_hostname)`
          : `parent_hostname ${parent} is set`;
      return `${setting}: this device's upstream is the parent edge device, not IoT Hub, so the probe checks ${parent} on ports ${parentPorts(config, ports).join(', ')} instead of the hub; its certificate chains to the parent's edge CA: give that CA (CA_FILE / --ca-file) for TLS to verify`;
    },
  },
  {
    id: 'AGENT_IMAGE_PUBLIC_REGISTRY',
    severity: 'warning',
    check: ({ config, policy }) => {
      const registry = config?.agentImageRegistry;
      return policy === 'privatelink' && registry !== undefined && PUBLIC_REGISTRIES.has(registry)
        ? `edgeAgent's image comes from ${registry}, a public registry, while hostnamePolicy is privatelink: an isolated network cannot pull it; import azureiotedge-agent and azureiotedge-hub into your private ACR (az acr import) and set [agent.config] image = "<registry>.azurecr.io/azureiotedge-agent:<tag>"`
        : undefined;
    },
  },
  {
    id: 'AGENT_REGISTRY_NO_CREDENTIALS',
    severity: 'info',
    check: ({ config }) => {
      const registry = config?.agentImageRegistry;
      return registry !== undefined && describeName(registry).kind === 'acr' && !config?.registryCredentials
        ? `edgeAgent's image comes from ${registry} but config.toml's [agent.config.auth] holds no credentials (absent or empty): the first pull needs credentials unless the registry allows anonymous pull; add serveraddress, username and password there and ${APPLY}`
        : undefined;
    },
  },
  {
    id: 'UPSTREAM_PROTOCOL_UNRECOGNISED',
    severity: 'warning',
    check: ({ ctx, config }) => {
      const unrecognised = [
        ctx.env.upstreamProtocol === UNRECOGNISED ? "the module's environment" : undefined,
        config?.upstreamProtocol === UNRECOGNISED ? 'config.toml [agent.env]' : undefined,
      ].filter((s): s is string => s !== undefined);
      return unrecognised.length > 0
        ? `UpstreamProtocol in ${unrecognised.join(' and ')} is not a value the runtime knows (value not shown), so it uses its default, AMQP with AMQP over WebSockets: set Amqp, AmqpWs, Mqtt or MqttWs`
        : undefined;
    },
  },
  {
    id: 'PROXY_CONFIGURED',
    severity: 'info',
    check: (input) => {
      const proxies = configuredProxies(input);
      if (proxies.length === 0) return undefined;
      const urls = [...new Set(proxies.map((p) => p.proxy.url ?? '(not a URL, value not shown)'))].join(', ');
      return `https_proxy ${urls} is set in ${proxies.map((p) => p.where).join(' and ')}: the runtime reaches the cloud on 443 through it and the proxy resolves the names, so its DNS, not this device's, decides whether a private endpoint is used; the probe goes through the proxy on 443 (with the module's https_proxy) and direct on 8883 and 5671`;
    },
  },
  {
    id: 'PROXY_WITHOUT_WEBSOCKETS',
    severity: 'warning',
    check: (input) => {
      if (configuredProxies(input).length === 0) return undefined;
      const protocol = input.ctx.env.upstreamProtocol ?? input.config?.upstreamProtocol;
      if (protocol === 'AmqpWs' || protocol === 'MqttWs') return undefined;
      const set =
        protocol === undefined ? 'is not set' : protocol === UNRECOGNISED ? 'is not recognised' : `is ${protocol}`;
      return `a proxy is configured but UpstreamProtocol ${set}: only WebSocket traffic on 443 goes through the proxy, so edgeHub's upstream goes direct on 5671 or 8883 and bypasses it; set UpstreamProtocol to AmqpWs or MqttWs for edgeHub and edgeAgent`;
    },
  },
];

/** Where a proxy is set for the runtime or for this module. */
function configuredProxies({ ctx, config }: AuditInput): Array<{ where: string; proxy: ProxySetting }> {
  return [
    config?.proxy === undefined ? undefined : { where: 'config.toml [agent.env]', proxy: config.proxy },
    ctx.env.proxy === undefined ? undefined : { where: "the module's environment", proxy: ctx.env.proxy },
  ].filter((p) => p !== undefined);
}
