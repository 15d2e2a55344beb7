// The settings pipeline: a run's settings are the defaults, then each layer's own settings in order, later
// layers winning. The module layers the deployment's environment under the desired properties; `check` layers
// its flags (over the environment's CA_FILE). A layer holds only what it sets, so "set or defaulted" is never
// worked out again from raw JSON: validateDesired records the desired layer as it reads the document.
import { DEFAULT_SETTINGS } from '../probe/defaults.js';
import type { ProbeSettings } from '../probe/types.js';

export type SettingsLayer = Partial<ProbeSettings>;

export function layerSettings(...layers: readonly SettingsLayer[]): ProbeSettings {
  const settings: ProbeSettings = {
    ...DEFAULT_SETTINGS,
    dnsServers: [...DEFAULT_SETTINGS.dnsServers],
    privateRanges: [...DEFAULT_SETTINGS.privateRanges],
    knownRoots: [...DEFAULT_SETTINGS.knownRoots],
  };
  // A key a layer leaves undefined is one it does not set: the layer below shows through.
  for (const layer of layers)
    Object.assign(settings, Object.fromEntries(Object.entries(layer).filter(([, v]) => v !== undefined)));
  return settings;
}

/** Bounds shared by every layer that reads these settings (desired properties, flags). */
export const TIMEOUT_MS_LIMITS = { min: 100, max: 60_000 } as const;
