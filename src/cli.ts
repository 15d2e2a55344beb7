#!/usr/bin/env node
// The one executable: `run` (the module, the container's default), `check` (one probe run), `demo`.
import { runCheck } from './cli/check.js';
import { runModule } from './main.js';

const USAGE = `Usage: privatelink-probe <command> [options]

Commands:
  run      the IoT Edge module (default in the container)
  check    probe once and print the verdicts (privatelink-probe check --help)
  demo     the whole module against a local emulator, on loopback (from a source checkout)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io = {
    stdout: (t: string) => process.stdout.write(t),
    stderr: (t: string) => process.stderr.write(t),
    env: process.env,
    colour: process.stdout.isTTY === true && !process.env.NO_COLOR,
  };
  switch (command) {
    case 'run':
      // The SDK keeps sockets and timers of its own: end the process once the module has shut down.
      process.exit(await runModule());
      break;
    case 'check': {
      const abort = new AbortController();
      process.once('SIGINT', () => abort.abort());
      return runCheck(rest, io, abort.signal);
    }
    case '--help':
    case '-h':
    case 'help':
      io.stdout(USAGE);
      return 0;
    default:
      io.stderr(command === undefined ? USAGE : `privatelink-probe: unknown command '${command}'\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`privatelink-probe: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
