// `npm run demo` / `privatelink-probe demo`: the product without Azure. Starts the loopback scene, tells
// the story (story.ts) while the screen follows the module's twin and telemetry, then exits (`--once`) or
// keeps following until Ctrl-C. Either way the module gets SIGTERM, everything started is closed, and the
// process ends by itself: nothing is left holding the event loop.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Emulator } from '../test/support/emulator/index.js';
import { renderFrame, type Narration } from './frame.js';
import { resultMessages } from './observed.js';
import { ACR_ENDPOINT, HUB_ENDPOINT, INTERVAL_SECONDS, startScene, type Scene } from './scene.js';
import { playStory, settledRun } from './story.js';
import { createScreen, type Output } from './terminal.js';

const USAGE = `Usage: npm run demo [-- --once]   (or: privatelink-probe demo [--once])

The real module against a local IoT Edge emulator, a DNS server for the private zones and TLS private
endpoints, all on loopback; shows the module twin and the telemetry as they change.

  --once   exit 0 after the story instead of following the module until Ctrl-C
`;

/** How long a redraw wait lasts before it is simply renewed. */
const WATCH_MS = 60_000;
/** The module's own watchdog gives up after three intervals without a run; so does the demo. */
const RUN_OVERDUE_MS = 3 * INTERVAL_SECONDS * 1000;
const MODULE_LOG_LINES_ON_FAILURE = 20;

export interface DemoIo {
  out: Output & {
    isTTY?: boolean;
    on?(event: 'error', listener: () => void): unknown;
    off?(event: 'error', listener: () => void): unknown;
  };
  err: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
}

function header(scene: Scene): string[] {
  const env = scene.emu.moduleEnv();
  return [
    'privatelink-probe demo · the real module against a local IoT Edge emulator, all on loopback',
    `module   ${scene.moduleCommand} (pid ${scene.mod.child.pid}) with IOTEDGE_GATEWAYHOSTNAME=${env.IOTEDGE_GATEWAYHOSTNAME} (the emulated edgeHub)` +
      ` and IOTEDGE_WORKLOADURI=${env.IOTEDGE_WORKLOADURI}`,
    `network  DNS server ${scene.land.dns.endpoint} for the private zones (DNS_SERVERS); private endpoints hub ${HUB_ENDPOINT.address}:${HUB_ENDPOINT.port},` +
      ` acr ${ACR_ENDPOINT.address}:${ACR_ENDPOINT.port}; PRIVATE_RANGES=127.0.0.0/8 plays the virtual network`,
  ];
}

/** Calls onChange after every change of the twin or the messages, until the signal aborts. */
async function watchChanges(emu: Emulator, onChange: () => void, signal: AbortSignal): Promise<void> {
  const key = () => `${emu.reportedPatches.length}/${emu.messages.length}/${emu.twin.desiredVersion}`;
  let seen = key();
  while (!signal.aborted) {
    try {
      seen = await emu.waitFor(() => key() !== seen && key(), WATCH_MS, 'a change');
      onChange();
    } catch {
      // A quiet minute (renew the wait), or the emulator closing (the signal has aborted first).
    }
  }
}

/** After the story: every scheduled run, once settled, is the next snapshot. Ends only by failing. */
async function followRuns(emu: Emulator, onRun: () => void, signal: AbortSignal): Promise<never> {
  for (;;) {
    const seen = resultMessages(emu.messages).length;
    signal.throwIfAborted();
    const next = await emu.waitFor(() => resultMessages(emu.messages)[seen], RUN_OVERDUE_MS, 'the next scheduled run');
    await settledRun(emu, next.body.runId, signal);
    onRun();
  }
}

/** Ctrl-C, SIGTERM, or a reader that went away (`npm run demo | head`): each ends the demo cleanly. */
function stopRequests(out: DemoIo['out']): { interrupted: Promise<'interrupted'>; detach(): void } {
  let stop!: () => void;
  const interrupted = new Promise<'interrupted'>((resolve) => (stop = () => resolve('interrupted')));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // Never detached: a write that fails after the end (EPIPE comes a tick later) must not crash the exit.
  out.on?.('error', stop);
  return {
    interrupted,
    detach() {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    },
  };
}

export async function runDemo(
  args: string[],
  io: DemoIo = { out: process.stdout, err: process.stderr, env: process.env },
): Promise<number> {
  let once: boolean;
  try {
    const { values } = parseArgs({
      args,
      options: { once: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      io.out.write(USAGE);
      return 0;
    }
    once = values.once;
  } catch (e) {
    io.err.write(`privatelink-probe demo: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const stop = stopRequests(io.out);
  try {
    const starting = startScene();
    const first = await Promise.race([starting, stop.interrupted]).catch((e: unknown) => e as Error);
    if (first === 'interrupted') {
      await starting.then(
        (s) => s.close(),
        () => undefined,
      );
      return 0;
    }
    if (first instanceof Error) {
      // The endpoints listen on fixed ports (8883, 8443) of the demo's own loopback addresses.
      const busy = (first as NodeJS.ErrnoException).code === 'EADDRINUSE' ? ' (is another demo running?)' : '';
      io.err.write(`privatelink-probe demo: could not start the loopback scene: ${first.message}${busy}\n`);
      return 1;
    }
    return await tell(first, once, io, stop.interrupted);
  } finally {
    stop.detach();
  }
}

/** The story and, without --once, the module followed until a stop request; then everything closed. */
async function tell(scene: Scene, once: boolean, io: DemoIo, interrupted: Promise<'interrupted'>): Promise<number> {
  const live = io.out.isTTY === true && io.env.TERM !== 'dumb';
  const colour = io.out.isTTY === true && !io.env.NO_COLOR;
  // Live, the header is part of the redrawn screen; as snapshots, it is said once.
  const top = header(scene);
  if (!live) io.out.write(`${top.join('\n')}\n`);
  const screen = createScreen(io.out, live);
  const over = new AbortController();
  let narration: Narration | undefined;
  // Nothing is drawn once the demo is ending: a wait may still resolve between the end and the closing.
  const draw = (settled: boolean) => {
    if (over.signal.aborted) return;
    const lines = renderFrame({
      header: live ? top : [],
      narration,
      reported: scene.emu.twin.reported,
      messages: scene.emu.messages,
      colour,
    });
    if (settled) screen.snapshot(lines);
    else screen.update(lines);
  };
  const display = {
    narrate(n: Narration) {
      narration = n;
      draw(false);
    },
    settled: () => draw(true),
  };
  const moduleExited = scene.mod.exited.then((code) => {
    throw new Error(`the module exited unexpectedly (code ${code})`);
  });
  if (live) void watchChanges(scene.emu, () => draw(false), over.signal);

  let failure: Error | undefined;
  try {
    const story = playStory(scene.emu, display, { once, signal: over.signal }).then(() => 'told' as const);
    const ended = await Promise.race([story, interrupted, moduleExited]);
    if (ended === 'told' && !once)
      await Promise.race([followRuns(scene.emu, display.settled, over.signal), interrupted, moduleExited]);
  } catch (e) {
    failure = e as Error;
  }
  over.abort();
  screen.close();
  const moduleCode = await scene.close();
  if (failure) {
    const log = scene.mod.lines.slice(-MODULE_LOG_LINES_ON_FAILURE).join('\n');
    io.err.write(`privatelink-probe demo failed: ${failure.message}\nthe module's last log lines:\n${log}\n`);
    return 1;
  }
  if (moduleCode !== 0) {
    io.err.write(`privatelink-probe demo: the module ended with exit code ${moduleCode} instead of 0\n`);
    return 1;
  }
  io.out.write('\nThe module has stopped (exit code 0); the emulator, the DNS server and the endpoints are closed.\n');
  return 0;
}

// Run directly (`node dist/demo/run.js`); the CLI's `demo` command imports runDemo instead.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  runDemo(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`privatelink-probe demo: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
