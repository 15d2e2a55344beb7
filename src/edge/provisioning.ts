// `[provisioning]` of the runtime's config.toml: how the device gets its identity, and what in the section
// keeps the runtime from provisioning at all. The runtime (aziot-identityd, through `iotedge config apply`)
// refuses a file whose section is missing, is not a table, has a `source` other than the lower-case
// "manual", "dps" or "none", or lacks a field its source requires; the audit names each of these with the
// line to add. Only names of fields and keys are kept, never a value that could be a secret.
import { connectionStringIdentity, safeDeviceId, safeHost, type ConnectionStringKey } from './redact.js';

/** `[provisioning] source`; `missing` when there is no `[provisioning]` table. */
export type ProvisioningSource = 'manual' | 'dps' | 'none' | 'other' | 'missing';

/** `[provisioning.attestation]` (DPS) or `[provisioning.authentication]` (manual) `method`. */
export type ProvisioningMethod = 'sas' | 'symmetric_key' | 'x509' | 'tpm' | 'other';

/** A field a source requires, as it is written in config.toml. */
export type ProvisioningField =
  | 'global_endpoint'
  | 'id_scope'
  | '[provisioning.attestation] method'
  | 'iothub_hostname'
  | 'device_id'
  | '[provisioning.authentication] method';

export type ProvisioningProblem =
  | { kind: 'missing' }
  /** `provisioning = "dps"`, `[[provisioning]]` ...: the TOML type found instead of a table. */
  | { kind: 'not-a-table'; type: string }
  | { kind: 'no-source' }
  /** `source = "DPS"`: the runtime matches the lower-case word only. */
  | { kind: 'source-case'; source: 'manual' | 'dps' | 'none' }
  | { kind: 'unknown-source' }
  | { kind: 'missing-fields'; fields: ProvisioningField[] }
  /** connection_string without these keys, or with them in another case. */
  | { kind: 'connection-string-keys'; missing: ConnectionStringKey[]; miscased: ConnectionStringKey[] };

export interface ProvisioningConfig {
  source: ProvisioningSource;
  /** Manual provisioning: where the hub name came from. */
  via?: 'iothub_hostname' | 'connection_string';
  /** Manual: `iothub_hostname`, or the connection string's HostName. */
  iothubHostname?: string;
  deviceId?: string;
  /** DPS: the hostname of `global_endpoint`. */
  dpsEndpoint?: string;
  idScope?: string;
  method?: ProvisioningMethod;
  /** Why the runtime would not provision with this section; absent when nothing is wrong. */
  problem?: ProvisioningProblem;
}

type Table = Record<string, unknown>;

export function asTable(value: unknown): Table | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
    ? (value as Table)
    : undefined;
}

function tomlType(value: unknown): string {
  if (Array.isArray(value))
    return value.every((v) => asTable(v) !== undefined) && value.length > 0 ? 'array of tables' : 'array';
  if (value instanceof Date) return 'date';
  return typeof value === 'bigint' ? 'number' : typeof value;
}

const METHODS: readonly ProvisioningMethod[] = ['sas', 'symmetric_key', 'x509', 'tpm'];
const SOURCES = ['manual', 'dps', 'none'] as const;

function method(table: Table | undefined): ProvisioningMethod | undefined {
  const value = table?.['method'];
  if (typeof value !== 'string') return undefined;
  return METHODS.find((m) => m === value) ?? 'other';
}

// DPS ID scopes look like `0ne00012345`; anything else is not kept.
const ID_SCOPE = /^[A-Za-z0-9]{1,32}$/;

/** `https://global.azure-devices-provisioning.net/` → its hostname; a bare hostname is accepted too. */
function endpointHost(value: string): string | undefined {
  if (!value.includes('://')) return safeHost(value);
  try {
    return safeHost(new URL(value).hostname.replace(/^\[|\]$/g, ''));
  } catch {
    return undefined;
  }
}

const set = (value: unknown) => value !== undefined && !(typeof value === 'string' && value.trim() === '');

function readManual(p: Table, invalid: string[]): ProvisioningConfig {
  const result: ProvisioningConfig = { source: 'manual' };
  if (set(p['connection_string'])) {
    const text = p['connection_string'];
    const id = connectionStringIdentity(typeof text === 'string' ? text : '');
    result.via = 'connection_string';
    result.iothubHostname = id.hostName;
    result.deviceId = id.deviceId;
    result.method = 'sas';
    if (id.present.includes('HostName') && id.hostName === undefined)
      invalid.push('provisioning.connection_string HostName');
    const missing = (['HostName', 'DeviceId', 'SharedAccessKey'] as const).filter((k) => !id.present.includes(k));
    if (missing.length > 0 || id.miscased.length > 0) {
      result.problem = { kind: 'connection-string-keys', missing, miscased: id.miscased };
    }
    return result;
  }
  const auth = asTable(p['authentication']);
  result.via = 'iothub_hostname';
  result.iothubHostname = safeHost(p['iothub_hostname']);
  result.deviceId = safeDeviceId(p['device_id']);
  result.method = method(auth);
  if (set(p['iothub_hostname']) && result.iothubHostname === undefined) invalid.push('provisioning.iothub_hostname');
  const fields: ProvisioningField[] = [];
  if (!set(p['iothub_hostname'])) fields.push('iothub_hostname');
  if (!set(p['device_id'])) fields.push('device_id');
  if (!set(auth?.['method'])) fields.push('[provisioning.authentication] method');
  if (fields.length > 0) result.problem = { kind: 'missing-fields', fields };
  return result;
}

function readDps(p: Table, invalid: string[]): ProvisioningConfig {
  const endpoint = p['global_endpoint'];
  const dpsEndpoint = typeof endpoint === 'string' ? endpointHost(endpoint) : undefined;
  if (set(endpoint) && dpsEndpoint === undefined) invalid.push('provisioning.global_endpoint');
  const scope = p['id_scope'];
  const attestation = asTable(p['attestation']);
  const fields: ProvisioningField[] = [];
  if (!set(endpoint)) fields.push('global_endpoint');
  if (!set(scope)) fields.push('id_scope');
  if (!set(attestation?.['method'])) fields.push('[provisioning.attestation] method');
  return {
    source: 'dps',
    dpsEndpoint,
    idScope: typeof scope === 'string' && ID_SCOPE.test(scope) ? scope : undefined,
    method: method(attestation),
    ...(fields.length > 0 ? { problem: { kind: 'missing-fields', fields } } : {}),
  };
}

/** `[provisioning]` of a parsed config.toml. Hostname-like fields that are set but invalid go to `invalid`. */
export function readProvisioning(root: Table, invalid: string[]): ProvisioningConfig {
  const value = root['provisioning'];
  const p = asTable(value);
  if (p === undefined) {
    const problem: ProvisioningProblem =
      value === undefined ? { kind: 'missing' } : { kind: 'not-a-table', type: tomlType(value) };
    return { source: 'missing', problem };
  }
  const source = p['source'];
  if (source === 'manual') return readManual(p, invalid);
  if (source === 'dps') return readDps(p, invalid);
  if (source === 'none') return { source: 'none' };
  if (source === undefined) return { source: 'other', problem: { kind: 'no-source' } };
  const lower = typeof source === 'string' ? source.trim().toLowerCase() : undefined;
  const meant = SOURCES.find((s) => s === lower);
  return {
    source: 'other',
    problem: meant === undefined ? { kind: 'unknown-source' } : { kind: 'source-case', source: meant },
  };
}
