// Configuration values in the form the twin can hold: lists joined with ',', targets as an object keyed
// by name. This is the `value` of each acknowledgement: the value as applied, defaults
// filled in, so the operator sees exactly what runs.
import type { TargetSpec } from '../probe/types.js';
import { objectFrom, type JsonObject } from './json.js';
import type { DesiredKey, ModuleConfig } from './model.js';

export function reportedValue(key: DesiredKey, config: ModuleConfig): unknown {
  const { settings, telemetry } = config;
  switch (key) {
    case 'intervalSeconds':
      return config.intervalSeconds;
    case 'timeoutMs':
      return settings.timeoutMs;
    case 'hostnamePolicy':
      return settings.hostnamePolicy;
    case 'dns':
      return {
        servers: settings.dnsServers.join(','),
        system: settings.systemDns,
        privateRanges: settings.privateRanges.join(','),
      };
    case 'targets':
      return objectFrom(config.targets.map((target) => [target.name, reportedTarget(target)]));
    case 'autoTargets':
      return config.autoTargets;
    case 'telemetry':
      return {
        enabled: telemetry.enabled,
        output: telemetry.output,
        onChangeOnly: telemetry.onChangeOnly,
        detail: telemetry.detail,
      };
    case 'flapping':
      return { ...config.flapping };
    case 'serviceCheck':
      return settings.serviceCheck;
  }
}

function reportedTarget(target: TargetSpec): JsonObject {
  const reported: JsonObject = { host: target.host };
  if (target.kind !== undefined) reported.kind = target.kind;
  if (target.ports !== undefined) reported.ports = target.ports.join(',');
  if (target.expectedAddresses !== undefined) reported.expectedAddresses = target.expectedAddresses.join(',');
  return reported;
}
