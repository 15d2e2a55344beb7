// `check` with hundreds of steps in flight at once (one name with 300 addresses, or many targets) must not
// make Node warn about a listener leak: each step waits for the run's abort, and Node warns once more than
// ten listeners wait on one signal. The 300 addresses are 127.0.3.0/23; nothing listens on the port, so each
// connect is refused at once.
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../src/cli/check.js';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.js';
import { closedPort } from '../support/tls-server.js';

const MANY = 'many.example.test';
const ADDRESSES = Array.from({ length: 300 }, (_, i) => `127.0.${3 + (i >> 8)}.${i & 0xff}`);

let server: TestDnsServer;
let port: number;
beforeAll(async () => {
  server = await startDnsServer();
  server.setRecords(ADDRESSES.map((data) => ({ name: MANY, type: 'A' as const, data })));
  for (let i = 0; i < 40; i++) server.addRecord({ name: `t${i}.example.test`, type: 'A', data: '127.0.3.1' });
  port = await closedPort();
});
afterAll(() => server.close());

/** Runs `check` in this process with an abort signal, as the command line does, and collects process warnings. */
async function checkWithWarnings(args: string[]): Promise<{ code: number; stdout: string; warnings: string[] }> {
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  let stdout = '';
  try {
    const io = { stdout: (t: string) => (stdout += t), stderr: () => undefined, env: {}, colour: false };
    const fixture = [
      '--dns-server',
      server.endpoint,
      '--no-system-dns',
      '--private-range',
      '127.0.0.0/8',
      '--json',
      '--timeout',
      '2000',
    ];
    const abort = new AbortController();
    const code = await runCheck([...args, ...fixture], io, abort.signal);
    // The run leaves nothing listening on the caller's signal, and warnings are emitted on a later tick.
    expect(getEventListeners(abort.signal, 'abort')).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    return { code, stdout, warnings };
  } finally {
    process.off('warning', onWarning);
  }
}

describe('check with hundreds of steps in flight', () => {
  it('connects to all 300 addresses of one name without a MaxListenersExceededWarning', async () => {
    const r = await checkWithWarnings(['--target', `many=${MANY}:${port}`, '--connect-all']);
    expect(r.warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    const body = JSON.parse(r.stdout);
    expect(body.targets[0].code).toBe('TCP_REFUSED');
    expect(body.ports[0]).toMatchObject({ target: 'many', code: 'TCP_REFUSED' });
    expect(body.ports[0].tcp).toHaveLength(300);
  });

  it('probes 40 targets at once without a MaxListenersExceededWarning', async () => {
    const targets = Array.from({ length: 40 }, (_, i) => ['--target', `t${i}=t${i}.example.test:${port}`]).flat();
    const r = await checkWithWarnings(targets);
    expect(r.warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    expect(JSON.parse(r.stdout).targets.map((t: { code: string }) => t.code)).toEqual(Array(40).fill('TCP_REFUSED'));
  });
});
