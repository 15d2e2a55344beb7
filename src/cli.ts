#!/usr/bin/env node
// The one executable: `run` (the module, the container's default), `check` (one probe run), `demo`.
import { runCheck } from './cli/check.js';
import { exitNow } from './exit.js';
import { runModule } from './main.js';

const USAGE = `Usage: privatelink-probe <command> [options]

Commands:
  run      the IoT Edge module (default in the container)
  check    probe once and print the verdicts (privatelink-probe check --help)
  demo     the whole module against a local emulator, on loopback (from a source checkout)
`;

const FROM_SOURCE =
  'the demo runs from a source checkout of privatelink-probe (npm ci && npm run demo): this bundle or image carries the module only\n';

/**
 * The demo is compiled beside the CLI in a source checkout (dist/demo/run.js) and needs the dev dependencies
 * (the emulator's MQTT broker, the test PKI). The production bundle and image ship neither, so it is loaded
 * only on demand, and its absence is a usage error with directions rather than a stack trace.
 */
async function runDemo(args: string[], io: { stderr: (t: string) => unknown }): Promise<number> {
  let demo: { runDemo(args: string[]): Promise<number> };
  try {
    demo = (await import(new URL('../demo/run.js', import.meta.url).href)) as typeof demo;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    io.stderr(`privatelink-probe: ${FROM_SOURCE}(${(e as Error).message})\n`);
    return 2;
  }
  return demo.runDemo(args);
}

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
      exitNow(await runModule());
      break;
    case 'check': {
      const abort = new AbortController();
      // The signal's name is the abort reason: check reports it and exits as the shell expects (130 for SIGINT).
      process.once('SIGINT', () => abort.abort('SIGINT'));
      process.once('SIGTERM', () => abort.abort('SIGTERM'));
      // The verdict is printed when the run ends (writes to pipes and files are synchronous on Linux); the
      // exit does not wait for a getaddrinfo our timer gave up on (src/exit.ts).
      exitNow(await runCheck(rest, io, abort.signal));
      break;
    }
    case 'demo':
      return runDemo(rest, io);
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
