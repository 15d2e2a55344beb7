// Rules on the IoT Hub names the runtime uses (the env's, given by the runtime, and config.toml's): one name,
// in the form the hostname policy prescribes, that TLS can verify. They apply to every hub name known, nested
// edge included (lower layers name the same hub). A finding that concerns several names lists them. Given the
// run's results, advice to switch to the counterpart name follows what the hub's certificate was measured to
// cover (measured-names.ts).
import { describeName, type NameInfo } from '../../probe/catalogue.js';
import type { NameForm, RunResult } from '../../probe/types.js';
import type { AuditInput, Rule } from '../finding.js';
import { measureSwitch, type MeasuredSwitch } from '../measured-names.js';
import { APPLY } from '../provisioning-advice.js';

/** The hub names known, each once. */
function hubNames({ ctx, config }: AuditInput): string[] {
  return [
    ...new Set(
      [ctx.env.iothubHostname, config?.provisioning.iothubHostname].filter((n): n is string => n !== undefined),
    ),
  ];
}

function byForm(input: AuditInput, form: NameForm): NameInfo[] {
  return hubNames(input)
    .map(describeName)
    .filter((info) => info.form === form);
}

/** ` (also a, b)` for the further names a hub-name finding concerns; empty when there are none. */
function alsoNamed(rest: ReadonlyArray<{ host: string }>): string {
  return rest.length > 0 ? ` (also ${rest.map((i) => i.host).join(', ')})` : '';
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
    const subject = assignedByDps
      ? `the runtime uses IoT Hub name ${hub.host}${also}, the public name DPS assigns,`
      : `IoT Hub name ${hub.host}${also} is the public name`;
    return `${subject} while hostnamePolicy is privatelink, but ${notCoveredNote(measured, hub.host)}: keep ${hub.host}, ${resolvePrivately}`;
  }
  const verified = verifiedNote(measured);
  return assignedByDps
    ? `the runtime uses IoT Hub name ${hub.host}${also}, the public name DPS assigns, while hostnamePolicy is privatelink: ${resolvePrivately}, or provision manually with iothub_hostname = "${hub.counterpart}"${verified}`
    : `IoT Hub name ${hub.host}${also} is the public name while hostnamePolicy is privatelink: set iothub_hostname = "${hub.counterpart}"${verified} in config.toml as the Private Link guidance prescribes and ${APPLY}, or set hostnamePolicy to match the name you intend`;
}

export const hubNameRules: Rule[] = [
  {
    id: 'HUB_NAME_MISMATCH',
    severity: 'warning',
    check: ({ ctx, config }) => {
      const envHub = ctx.env.iothubHostname;
      const configHub = config?.provisioning.iothubHostname;
      return envHub !== undefined && configHub !== undefined && envHub !== configHub
        ? `the runtime gives modules IoT Hub name ${envHub} but config.toml says ${configHub}: config.toml was changed without being applied; ${APPLY} (or mount the config.toml this device really uses)`
        : undefined;
    },
  },
  {
    id: 'UPSTREAM_IP_ADDRESS',
    severity: 'error',
    check: (input) => {
      const ips = byForm(input, 'ip');
      return ips.length > 0
        ? `IoT Hub is configured by IP address ${ips.map((i) => i.host).join(', ')}: TLS cannot verify an address against the hub's certificate; set iothub_hostname to the hub's name (<hub>.privatelink.azure-devices.net) and let DNS give the private address`
        : undefined;
    },
  },
  {
    id: 'HUB_PUBLIC_NAME',
    severity: 'warning',
    check: (input) => {
      if (input.policy !== 'privatelink') return undefined;
      const [first, ...rest] = byForm(input, 'public');
      // Under DPS the env's hub name is the one DPS assigned, always the public form.
      const assignedByDps = input.config?.provisioning.source === 'dps' && first?.host === input.ctx.env.iothubHostname;
      return first === undefined ? undefined : publicHubAdvice(first, alsoNamed(rest), assignedByDps, input.measured);
    },
  },
  {
    id: 'HUB_PRIVATELINK_NAME',
    severity: 'warning',
    check: (input) => {
      if (input.policy !== 'public') return undefined;
      const [first, ...rest] = byForm(input, 'privatelink');
      if (first === undefined) return undefined;
      const also = alsoNamed(rest);
      const measured = measureSwitch(input.measured, first.host, first.counterpart);
      return measured?.outcome === 'not-covered'
        ? `IoT Hub name ${first.host}${also} is the privatelink name while hostnamePolicy is public, but ${notCoveredNote(measured, first.host)}: keep iothub_hostname = "${first.host}" and set hostnamePolicy to privatelink`
        : `IoT Hub name ${first.host}${also} is the privatelink name while hostnamePolicy is public: set iothub_hostname = "${first.counterpart}"${verifiedNote(measured)} in config.toml and ${APPLY}, or set hostnamePolicy to privatelink`;
    },
  },
  {
    id: 'HUB_CUSTOM_NAME',
    severity: 'warning',
    check: (input) => {
      const custom = byForm(input, 'custom');
      if (input.policy === 'any' || custom.length === 0) return undefined;
      return `IoT Hub name ${custom.map((i) => i.host).join(', ')} is in no IoT Hub DNS zone while hostnamePolicy is ${input.policy}: the hub's certificate is issued for its own name; set iothub_hostname to <hub>.${input.policy === 'privatelink' ? 'privatelink.' : ''}azure-devices.net and ${APPLY}`;
    },
  },
];
