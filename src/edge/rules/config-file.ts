// Rules on config.toml itself: whether it could be read and parsed, its provisioning section, and hostname fields
// that hold no hostname (in config.toml or the module's environment).
import type { Rule } from '../finding.js';
import { APPLY, provisioningAdvice } from '../provisioning-advice.js';

export const configFileRules: Rule[] = [
  {
    id: 'CONFIG_TOML_NOT_MOUNTED',
    severity: 'info',
    check: ({ ctx }) =>
      ctx.configToml.state === 'not-mounted'
        ? `config.toml not found at ${ctx.configTomlPath}, so the runtime's provisioning is not audited: bind-mount the host's /etc/aziot/config.toml read-only there (createOptions HostConfig.Binds "/etc/aziot/config.toml:${ctx.configTomlPath}:ro")`
        : undefined,
  },
  {
    id: 'CONFIG_TOML_UNREADABLE',
    severity: 'warning',
    check: ({ ctx }) => {
      const file = ctx.configToml;
      const path = ctx.configTomlPath;
      if (file.state !== 'unreadable' || file.cause === 'toml' || file.cause === 'encoding') return undefined;
      switch (file.cause) {
        case 'directory':
          return `config.toml at ${path} is a directory, not a file, so the runtime's provisioning is not audited: Docker creates one at a bind mount whose host file did not exist when the container was created; bind the host's /etc/aziot/config.toml once it exists and recreate the module`;
        case 'permission':
          return `config.toml at ${path} cannot be read: permission denied, so the runtime's provisioning is not audited: give the user the module runs as read access on the host (sudo setfacl -m u:1000:r /etc/aziot/config.toml)`;
        default:
          return `config.toml at ${path} cannot be read: ${file.reason}, so the runtime's provisioning is not audited: bind-mount the host's /etc/aziot/config.toml itself there, read-only`;
      }
    },
  },
  {
    id: 'CONFIG_TOML_INVALID',
    severity: 'warning',
    check: ({ ctx }) => {
      const file = ctx.configToml;
      const path = ctx.configTomlPath;
      if (file.state !== 'unreadable') return undefined;
      if (file.cause === 'toml')
        return `config.toml at ${path}: ${file.reason}, so the runtime cannot apply it either: fix it and ${APPLY}`;
      if (file.cause === 'encoding')
        return `config.toml at ${path} is ${file.reason}, which the runtime refuses: save it as UTF-8 and ${APPLY}`;
      return undefined;
    },
  },
  {
    id: 'PROVISIONING_INVALID',
    severity: 'warning',
    check: ({ ctx, policy }) => {
      if (ctx.configToml.state !== 'found') return undefined;
      const { problem, source } = ctx.configToml.config.provisioning;
      return problem === undefined ? undefined : provisioningAdvice(problem, source, ctx.configTomlPath, policy);
    },
  },
  {
    id: 'INVALID_HOSTNAME',
    severity: 'warning',
    check: ({ ctx, config }) => {
      const invalid = [...(config?.invalidFields ?? []), ...ctx.env.invalidFields];
      if (invalid.length === 0) return undefined;
      return `${invalid.join(', ')} ${invalid.length === 1 ? 'holds' : 'hold'} no valid hostname (a placeholder such as <hubname> left in?): set the real name (the value is not shown)`;
    },
  },
];
