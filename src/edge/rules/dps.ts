// Rules on DPS's global endpoint in config.toml. A DPS instance name in public form
// (`<dps>.azure-devices-provisioning.net`) is accepted under `privatelink`: DPS private endpoints serve it as well
// as the global name.
import { describeName, type NameInfo } from '../../probe/catalogue.js';
import type { AuditInput, Rule } from '../finding.js';
import { APPLY } from '../provisioning-advice.js';

/** The global endpoint, when it is a DPS name. */
function dpsEndpoint({ config }: AuditInput): NameInfo | undefined {
  const endpoint = config?.provisioning.dpsEndpoint;
  if (endpoint === undefined) return undefined;
  const info = describeName(endpoint);
  return info.kind === 'dps' ? info : undefined;
}

export const dpsRules: Rule[] = [
  {
    id: 'DPS_GLOBAL_ENDPOINT_PUBLIC',
    severity: 'warning',
    check: (input) => {
      const info = dpsEndpoint(input);
      return input.policy === 'privatelink' && info?.resource === 'global' && info.form === 'public'
        ? `DPS global_endpoint is the public ${info.host} while hostnamePolicy is privatelink: set global_endpoint = "https://${info.counterpart}" as the Private Link guidance prescribes, and ${APPLY}`
        : undefined;
    },
  },
  {
    id: 'DPS_PRIVATELINK_ENDPOINT',
    severity: 'warning',
    check: (input) => {
      const info = dpsEndpoint(input);
      return input.policy === 'public' && info?.form === 'privatelink'
        ? `DPS global_endpoint ${info.host} is a privatelink name while hostnamePolicy is public: set global_endpoint = "https://${info.counterpart}" and ${APPLY}, or set hostnamePolicy to privatelink`
        : undefined;
    },
  },
  {
    id: 'DPS_INSTANCE_NAME',
    severity: 'info',
    check: (input) => {
      const info = dpsEndpoint(input);
      return input.policy === 'privatelink' && info?.resource === 'global'
        ? `DPS private endpoints serve the instance name <dps>.${info.publicZone} (through <dps>.${info.privateZone}); the Private Link guidance prescribes global.${info.privateZone}: both are supported, so also probe your instance name with a desired target (e.g. targets.dpsInstance.host)`
        : undefined;
    },
  },
];
