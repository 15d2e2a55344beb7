// The PROVISIONING_INVALID text: what in `[provisioning]` keeps the runtime from provisioning, and the line
// to write instead. Examples use the name form the hostname policy prescribes.
import type { HostnamePolicy } from '../probe/types.js';
import type { ProvisioningField, ProvisioningProblem, ProvisioningSource } from './provisioning.js';

/** The step after every config.toml change: the runtime reads the file only then. */
export const APPLY = 'run "sudo iotedge config apply"';

const zone = (policy: HostnamePolicy) => (policy === 'privatelink' ? 'privatelink.' : '');

const FIELD_LINES: Record<ProvisioningField, (policy: HostnamePolicy) => string> = {
  global_endpoint: (p) => `global_endpoint = "https://global.${zone(p)}azure-devices-provisioning.net"`,
  id_scope: () => 'id_scope = "<your DPS ID scope>"',
  '[provisioning.attestation] method': () => '[provisioning.attestation] method = "symmetric_key", "x509" or "tpm"',
  iothub_hostname: (p) => `iothub_hostname = "<hub>.${zone(p)}azure-devices.net"`,
  device_id: () => 'device_id = "<device id>"',
  '[provisioning.authentication] method': () => '[provisioning.authentication] method = "sas" or "x509"',
};

export function provisioningAdvice(
  problem: ProvisioningProblem,
  source: ProvisioningSource,
  path: string,
  policy: HostnamePolicy,
): string {
  switch (problem.kind) {
    case 'missing':
      return `config.toml at ${path} has no [provisioning] section (a template whose examples are all still commented out?), so the runtime has no identity to connect with: add one, e.g. [provisioning] source = "manual", ${FIELD_LINES.iothub_hostname(policy)}, device_id = "<device id>" and [provisioning.authentication] method = "sas", then ${APPLY}`;
    case 'not-a-table':
      return `provisioning in config.toml at ${path} is a TOML ${problem.type}, not one section, so the runtime cannot read it: write a single [provisioning] table with source = "manual" or "dps" and its fields, then ${APPLY}`;
    case 'no-source':
      return `[provisioning] in config.toml has no source, so the runtime refuses the file: add source = "manual", "dps" or "none", then ${APPLY}`;
    case 'source-case':
      return `[provisioning] source is not in lower case, the only form the runtime accepts: write source = "${problem.source}", then ${APPLY}`;
    case 'unknown-source':
      return `[provisioning] source is none of "manual", "dps" or "none" (value not shown), so the runtime refuses the file: set one of them, then ${APPLY}`;
    case 'missing-fields':
      return `[provisioning] source = "${source}" lacks ${problem.fields.join(', ')}, so the runtime cannot provision: add ${problem.fields.map((f) => FIELD_LINES[f](policy)).join('; ')}, then ${APPLY}`;
    case 'connection-string-keys': {
      const absent = problem.missing.filter((k) => !problem.miscased.includes(k));
      const faults = [
        problem.miscased.length > 0
          ? `writes ${problem.miscased.join(', ')} in another case, which the runtime does not read (it matches keys exactly)`
          : undefined,
        absent.length > 0 ? `lacks ${absent.map((k) => `${k}=`).join(', ')}` : undefined,
      ].filter((f) => f !== undefined);
      return `[provisioning] connection_string ${faults.join(' and ')}: paste the device connection string as IoT Hub gives it (HostName=…;DeviceId=…;SharedAccessKey=…), then ${APPLY}`;
    }
  }
}
