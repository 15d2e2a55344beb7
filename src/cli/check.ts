// `privatelink-probe check`: one run from the command line, printed as a table or as the telemetry body.
// The resolver context (resolv.conf, /etc/hosts) and, with --config-toml, the runtime's config.toml are
// audited too: their findings are printed and the hosts config.toml names are probed.
import { readFile } from 'node:fs/promises';
import { auditEdge, mergeTargets, type EdgeAudit } from '../edge/audit.js';
import { readEdgeContext } from '../edge/read.js';
import { realDeps } from '../probe/deps.js';
import { runProbe } from '../probe/run.js';
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
    if (args.caFile) args.settings.caPem = await readCaFile(args.caFile);
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
  const edge = withoutUnaskedConfigToml(auditEdge(context, { hostnamePolicy: args.settings.hostnamePolicy, targets: args.targets }), args.configToml !== undefined);
  // A missing file is a mistyped path; an unreadable or malformed one is a finding like any other.
  if (args.configToml !== undefined && context.configToml.state === 'not-mounted') {
    io.stderr(`privatelink-probe check: --config-toml ${args.configToml}: no such file\n\n${CHECK_USAGE}`);
    return 2;
  }
  const targets = mergeTargets(edge.autoTargets, args.targets);
  const run = await runProbe(targets, { ...args.settings, systemNameservers: edge.resolvers }, realDeps(), { signal });
  if (args.json) {
    io.stdout(JSON.stringify(telemetryBody(run, { deviceId: null, moduleId: null, edge, budgetBytes: Infinity }), null, 2) + '\n');
  } else {
    io.stdout(formatTable(run, { colour: io.colour, notes: findingLines(edge) }));
  }
  const findingsFail = edge.findings.some((f) => f.severity !== 'info');
  return run.overall === 'healthy' && !findingsFail ? 0 : 1;
}

function findingLines(edge: EdgeAudit): string[] {
  return edge.findings.map((f) => `edge ${f.severity} ${f.id}: ${f.text}`);
}

/** Without --config-toml, no config.toml was looked for: saying it is not mounted would mislead. */
function withoutUnaskedConfigToml(edge: EdgeAudit, asked: boolean): EdgeAudit {
  return asked ? edge : { ...edge, findings: edge.findings.filter((f) => f.id !== 'CONFIG_TOML_NOT_MOUNTED') };
}

async function readCaFile(path: string): Promise<string> {
  try {
    const pem = await readFile(path, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
    return pem;
  } catch (e) {
    throw new UsageError(`cannot use CA file ${path}: ${(e as Error).message}`);
  }
}
