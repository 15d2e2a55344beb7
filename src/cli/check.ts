// `privatelink-probe check`: one run from the command line, printed as a table or as the telemetry body.
// The resolver context (resolv.conf, /etc/hosts) and, with --config-toml, the runtime's config.toml are
// audited too: their findings are printed and the hosts config.toml names are probed.
import { constants } from 'node:os';
import { readCaFile } from '../ca-file.js';
import { auditEdge, type EdgeAudit } from '../edge/audit.js';
import { mergeTargets } from '../edge/auto-targets.js';
import { readEdgeContext, type ConfigTomlRead } from '../edge/read.js';
import { realDeps } from '../probe/deps.js';
import { runProbe } from '../probe/run.js';
import type { RunResult } from '../probe/types.js';
import { telemetryBody } from '../report/telemetry.js';
import { CHECK_USAGE, parseCheckArgs, UsageError, type CheckArgs } from './args.js';
import { formatTable } from './table.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  colour: boolean;
}

export async function runCheck(argv: string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  let args: CheckArgs;
  try {
    args = parseCheckArgs(argv, io.env);
    if (args.caFile) args.settings.caPem = await caPem(args.caFile);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`privatelink-probe check: ${e.message}\n\n${CHECK_USAGE}`);
    return 2;
  }
  if (args.help) {
    io.stdout(CHECK_USAGE);
    return 0;
  }
  const context = await readEdgeContext({ env: io.env, configTomlPath: args.configToml ?? null });
  const fileError = args.configToml === undefined ? undefined : configTomlFileError(context.configToml);
  if (fileError !== undefined) {
    io.stderr(`privatelink-probe check: --config-toml ${args.configToml}: ${fileError}\n\n${CHECK_USAGE}`);
    return 2;
  }
  const audit = (measured?: RunResult) =>
    withoutUnaskedConfigToml(
      auditEdge(context, { hostnamePolicy: args.settings.hostnamePolicy, targets: args.targets, measured }),
      args.configToml !== undefined,
    );
  const planned = audit();
  const targets = mergeTargets(planned.autoTargets, args.targets);
  const run = await runProbe(targets, { ...args.settings, systemNameservers: planned.resolvers }, realDeps(), {
    signal,
  });
  if (signal?.aborted) return interrupted(signal, io);
  // Audited again with what the run measured, so advice about names agrees with the certificates seen.
  const edge = audit(run);
  if (args.json) {
    io.stdout(
      JSON.stringify(telemetryBody(run, { deviceId: null, moduleId: null, edge, budgetBytes: Infinity }), null, 2) +
        '\n',
    );
  } else {
    io.stdout(formatTable(run, { colour: io.colour, notes: findingLines(edge), proxy: args.settings.proxy?.url }));
  }
  const findingsFail = edge.findings.some((f) => f.severity !== 'info');
  return run.overall === 'healthy' && !findingsFail ? 0 : 1;
}

/**
 * Ctrl-C or a stop mid-run: the steps cut short would read as failures, so no verdict is printed. The exit
 * code is the shell's for a process ended by that signal (128 + its number: 130 for SIGINT).
 */
function interrupted(signal: AbortSignal, io: CliIo): number {
  const name =
    typeof signal.reason === 'string' && signal.reason in constants.signals
      ? (signal.reason as NodeJS.Signals)
      : 'SIGINT';
  io.stderr(`privatelink-probe check: interrupted by ${name} before the run completed: no verdict\n`);
  return 128 + constants.signals[name];
}

function findingLines(edge: EdgeAudit): string[] {
  return edge.findings.map((f) => `edge ${f.severity} ${f.id}: ${f.text}`);
}

/** Without --config-toml, no config.toml was looked for: saying it is not mounted would mislead. */
function withoutUnaskedConfigToml(edge: EdgeAudit, asked: boolean): EdgeAudit {
  return asked ? edge : { ...edge, findings: edge.findings.filter((f) => f.id !== 'CONFIG_TOML_NOT_MOUNTED') };
}

/**
 * The file named with --config-toml could not be read at all: a mistake on the command line, told at once
 * without probing. The module's advice about bind mounts does not apply here. A file that was read but is
 * not valid (encoding, TOML, provisioning) is a finding like any other.
 */
function configTomlFileError(read: ConfigTomlRead): string | undefined {
  if (read.state === 'not-mounted') return 'no such file';
  if (read.state === 'found' || read.cause === 'toml' || read.cause === 'encoding') return undefined;
  if (read.cause === 'permission')
    return 'permission denied: iotedge config apply leaves the file readable by root only; run check with sudo';
  if (read.cause === 'directory')
    return 'it is a directory: give the path of the file itself, e.g. /etc/aziot/config.toml';
  return read.reason;
}

async function caPem(path: string): Promise<string> {
  try {
    return await readCaFile(path);
  } catch (e) {
    throw new UsageError(`cannot use CA file ${path}: ${(e as Error).message}`);
  }
}
