// Step 4 of a probe: a TCP connect to one address and port, bounded by our own timer
// and classified into what an operator can act on. A SYN that is silently dropped (firewall, NSG,
// wrong route) never produces an error before the kernel gives up minutes later, so `timeout` means
// "filtered"; `unreachable` means no route at all (VPN or ExpressRoute down).
import type net from 'node:net';
import type { TcpConnect } from './deps.js';
import { boundedStep, errorCode, errorText, type StepOptions } from './step.js';
import type { TcpOutcome, TcpResult } from './types.js';

const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const RESET = new Set(['ECONNRESET', 'EPIPE']);

/** errno code → outcome. The kernel's own ETIMEDOUT (SYN retries exhausted) is a filtered port too. */
function classifyTcpError(code: string | undefined): TcpOutcome {
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ETIMEDOUT') return 'timeout';
  if (code !== undefined && UNREACHABLE.has(code)) return 'unreachable';
  if (code !== undefined && RESET.has(code)) return 'reset';
  return 'error';
}

/** Connects, then closes at once. Never rejects. */
export async function probeTcp(
  address: string,
  port: number,
  connect: TcpConnect,
  opts: StepOptions,
): Promise<TcpResult> {
  const { result, socket } = await openTcp(address, port, connect, opts);
  socket?.destroy();
  return result;
}

/**
 * Connects and, on success, hands over the open socket (the caller must end or destroy it): the TLS step
 * then shakes hands on the very connection this step measured, instead of opening a second one.
 * Never rejects.
 */
export async function openTcp(
  address: string,
  port: number,
  connect: TcpConnect,
  opts: StepOptions,
): Promise<{ result: TcpResult; socket?: net.Socket }> {
  let socket: net.Socket | undefined;
  let connected = false;
  const { ended, ms } = await boundedStep<void>(opts, (settle) => {
    const s = (socket = connect({ host: address, port }));
    s.once('connect', () => {
      connected = true;
      settle({ kind: 'done', value: undefined });
    });
    // Stays attached after the step: a late error on a destroyed (or handed-over) socket must not become an
    // uncaught exception; the TLS step reports errors after the connect itself.
    s.on('error', (error) => settle({ kind: 'failed', error }));
    // Every connection closes in the end: the error (and its stack) is made only when it closed first.
    s.once('close', () => {
      if (!connected) settle({ kind: 'failed', error: new Error('closed before connecting') });
    });
    return () => {
      if (!connected) s.destroy();
    };
  });
  const result = (outcome: TcpOutcome, error?: string): TcpResult => ({
    address,
    port,
    outcome,
    ms,
    ...(error === undefined ? {} : { error }),
  });
  switch (ended.kind) {
    case 'done':
      return { result: result('ok'), socket };
    case 'timeout':
      return { result: result('timeout', `no answer within ${opts.timeoutMs} ms`) };
    case 'aborted':
      return { result: result('error', 'aborted') };
    case 'failed':
      return { result: result(classifyTcpError(errorCode(ended.error)), errorText(ended.error)) };
  }
}
