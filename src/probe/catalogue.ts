// The name catalogue: which Azure service and cloud a hostname belongs to, and its Private Link
// counterpart `x.privatelink.<zone>` ↔ `x.<zone>` (the Private Link DNS zones: https://learn.microsoft.com/azure/private-link/private-endpoint-dns).
// Pure suffix arithmetic over one table; both directions are derived from the public zone.
import net from 'node:net';
import { normalizeHostname } from './hostname.js';
import type { Cloud, Kind, NameForm } from './types.js';

export interface NameInfo {
  /** Lower-case, no trailing dot. */
  host: string;
  /** From the suffix; `custom` when the suffix is not an Azure zone the catalogue knows. */
  kind: Kind;
  /** `unknown` for custom names and IP literals. */
  cloud: Cloud;
  form: NameForm;
  /** e.g. `azure-devices.net`. */
  publicZone?: string;
  /** e.g. `privatelink.azure-devices.net`. */
  privateZone?: string;
  /** `x.privatelink.<zone>` ↔ `x.<zone>`; absent for custom names and IP literals. */
  counterpart?: string;
  /** The part before the zone: `myhub`, `global`, `myreg.westeurope.data`. */
  resource?: string;
}

type ZoneRow = readonly [kind: Exclude<Kind, 'custom'>, cloud: Exclude<Cloud, 'unknown'>, zone: string];

const PRIVATELINK = 'privatelink';

// Every public zone the probe knows; the Private Link zone is always `privatelink.<zone>`.
// The first row of a kind × cloud is its canonical zone (zonesFor); a later row is an accepted alias.
const ZONES: readonly ZoneRow[] = [
  // IoT Hub. Its newer `<hub>.device.azure-devices.<suffix>` names get no rule of their own: they are iothub
  // names with resource `<hub>.device`, and their counterpart comes from the generic rule. Microsoft has
  // not documented a privatelink form for them, so that counterpart is only a name to resolve, not a fact.
  ['iothub', 'public', 'azure-devices.net'],
  ['iothub', 'china', 'azure-devices.cn'],
  ['iothub', 'usgov', 'azure-devices.us'],
  // The hub's Event Hub-compatible endpoint.
  ['eventhub', 'public', 'servicebus.windows.net'],
  ['eventhub', 'china', 'servicebus.chinacloudapi.cn'],
  ['eventhub', 'usgov', 'servicebus.usgovcloudapi.net'],
  ['eventhub', 'usgov', 'servicebus.windows.us'], // one Microsoft doc row gives this zone for US Gov
  // DPS: `global.` and instance names alike.
  ['dps', 'public', 'azure-devices-provisioning.net'],
  ['dps', 'china', 'azure-devices-provisioning.cn'],
  ['dps', 'usgov', 'azure-devices-provisioning.us'],
  // ACR login server; its regional data endpoints `<reg>.<region>.data.<zone>` share the zone (see acrData).
  ['acr', 'public', 'azurecr.io'],
  ['acr', 'china', 'azurecr.cn'],
  ['acr', 'usgov', 'azurecr.us'],
  ['acrData', 'public', 'azurecr.io'],
  ['acrData', 'china', 'azurecr.cn'],
  ['acrData', 'usgov', 'azurecr.us'],
  ['blob', 'public', 'blob.core.windows.net'],
  ['blob', 'china', 'blob.core.chinacloudapi.cn'],
  ['blob', 'usgov', 'blob.core.usgovcloudapi.net'],
];

// An ACR data endpoint is `<reg>.<region>.data.<zone>`, privatelink form `<reg>.<region>.data.privatelink.<zone>`:
// the zone is the registry's, and what tells it apart is the resource's last label.
const DATA_LABEL = 'data';

/** The label the kind requires at the end of the resource, if any. */
function requiredLastLabel(kind: Kind): string | undefined {
  return kind === 'acrData' ? DATA_LABEL : undefined;
}

function specificity([kind, , zone]: ZoneRow): number {
  const label = requiredLastLabel(kind);
  return zone.length + (label === undefined ? 0 : label.length + 1);
}

// Longest suffix first, so `x.data.azurecr.io` meets the acrData row before the acr one. The sort is stable,
// so rows of equal specificity keep the table's order.
const BY_SPECIFICITY: readonly ZoneRow[] = [...ZONES].sort((a, b) => specificity(b) - specificity(a));

function splitName(name: string, zone: string): { form: 'privatelink' | 'public'; resource: string } | undefined {
  const privateSuffix = `.${PRIVATELINK}.${zone}`;
  if (name.endsWith(privateSuffix)) return { form: 'privatelink', resource: name.slice(0, -privateSuffix.length) };
  if (name.endsWith(`.${zone}`)) return { form: 'public', resource: name.slice(0, -zone.length - 1) };
  return undefined;
}

// A resource ending in the label `privatelink` is never accepted: the public-form "resource" of
// `privatelink.<zone>` is the private zone itself, and `x.privatelink.privatelink.<zone>` would map to a name
// that maps back elsewhere. Treating both as custom keeps counterpart(counterpart(n)) === n for every name.
function fits(resource: string, kind: Kind): boolean {
  const labels = resource.split('.');
  if (labels.some((label) => label.length === 0) || labels.at(-1) === PRIVATELINK) return false;
  const last = requiredLastLabel(kind);
  return last === undefined || (labels.length > 1 && labels.at(-1) === last);
}

/** Kind, cloud, form and counterpart of a hostname, from its suffix. Total: never throws. */
export function describeName(host: string): NameInfo {
  const name = normalizeHostname(host);
  if (net.isIP(name) !== 0) return { host: name, kind: 'custom', cloud: 'unknown', form: 'ip' };
  for (const [kind, cloud, zone] of BY_SPECIFICITY) {
    const split = splitName(name, zone);
    if (split === undefined || !fits(split.resource, kind)) continue;
    const { form, resource } = split;
    return {
      host: name,
      kind,
      cloud,
      form,
      publicZone: zone,
      privateZone: `${PRIVATELINK}.${zone}`,
      counterpart: form === 'privatelink' ? `${resource}.${zone}` : `${resource}.${PRIVATELINK}.${zone}`,
      resource,
    };
  }
  return { host: name, kind: 'custom', cloud: 'unknown', form: 'custom' };
}

/** The canonical zones of a kind in a cloud; undefined for `custom` and the `unknown` cloud. */
export function zonesFor(kind: Kind, cloud: Cloud): { publicZone: string; privateZone: string } | undefined {
  const row = ZONES.find(([k, c]) => k === kind && c === cloud);
  return row === undefined ? undefined : { publicZone: row[2], privateZone: `${PRIVATELINK}.${row[2]}` };
}

// IoT Hub's and DPS's protocols and ports: MQTT 8883, AMQP 5671, HTTPS (and MQTT/AMQP over WebSockets) 443.
const DEFAULT_PORTS: Readonly<Record<Kind, readonly number[]>> = {
  iothub: [8883, 5671, 443],
  dps: [8883, 5671, 443],
  acr: [443],
  acrData: [443],
  blob: [443],
  eventhub: [5671, 443],
  custom: [443],
};

/** The ports probed when a target configures none. A fresh array: callers may change it. */
export function defaultPorts(kind: Kind): number[] {
  return [...DEFAULT_PORTS[kind]];
}

// The probe starts a handshake as soon as TCP connects, so only ports whose IANA service speaks TLS from the
// first byte belong here: the three Azure uses (https, secure-mqtt, amqps) and the few implicit-TLS services a
// custom target on an edge network plausibly is (https-alt proxies and appliances, WinRM over HTTPS, LDAPS,
// DNS over TLS). STARTTLS ports (25, 587, 389, 5672 ...) begin in plain text and get TCP only.
const TLS_PORTS: ReadonlySet<number> = new Set([443, 8883, 5671, 8443, 5986, 636, 853]);

/** Whether the probe does a TLS handshake on this port (otherwise plain TCP). */
export function isTlsPort(port: number): boolean {
  return TLS_PORTS.has(port);
}
