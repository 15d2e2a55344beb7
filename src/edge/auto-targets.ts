// The targets the audit adds by itself (source `auto`), and how desired targets override them.
//
// | name       | host                                              | ports                                          |
// |------------|---------------------------------------------------|------------------------------------------------|
// | `iothub`   | upstream hostname (env, else config.toml's)       | the upstream protocol's (upstream-protocol.ts) |
// | `parent`   | nested edge: parent_hostname, instead of `iothub` | the same, plus 443 for `$upstream` image pulls |
// | `dps`      | config.toml global_endpoint                       | 443: aziot-identityd provisions over HTTPS     |
// | `registry` | the agent image's registry, if an ACR name        | the kind's (443)                               |
//
// The hub gets the upstream protocol's ports only, as `iotedge check` tests them: probing 8883 on a network
// that only opens what AMQP needs would report a failure the runtime never meets. A lower layer of nested
// edge never reaches the hub itself, so its hub is not probed. mcr.microsoft.com and Docker Hub are not
// probed: they are not Private Link services (AGENT_IMAGE_PUBLIC_REGISTRY covers them).
import { describeName } from '../probe/catalogue.js';
import { normalizeHostname } from '../probe/hostname.js';
import type { TargetSpec } from '../probe/types.js';
import type { EdgeRuntimeConfig } from './config-toml.js';

/** Nested edge: the upstream ports, plus 443 when edgeAgent's image is pulled through the parent (`$upstream:443`). */
export function parentPorts(config: EdgeRuntimeConfig | undefined, ports: number[]): number[] {
  return config?.agentImageRegistry === '$upstream' && !ports.includes(443) ? [...ports, 443] : ports;
}

export function autoTargets(
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
