// Step 4 of a probe: a TCP connect to one address and port, bounded by our own timer
// and classified into what an operator can act on. A SYN that is silently dropped (firewall, NSG,
// wrong route) never produces an error before the kernel gives up minutes later, so `timeout` means
// "filtered"; `unreachable` means no route at all (VPN or ExpressRoute down).
import type net from 'node:net';
import type { TcpConnect } from './deps.js';
import type { TcpOutcome, TcpResult } from './types.js';

/** What bounds one step (a TCP connect, a TLS handshake); shared by tcp.ts and tls.ts. */
export interface StepOptions {
  timeoutMs: number;
  /** Monotonic milliseconds, for durations. */
  elapsed: () => number;
  /** Aborts the step (the run was cancelled); the result then says `aborted`. */
  signal?: AbortSignal;
}

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

/** Durations are reported to 0.1 ms: finer digits are noise and cost twin and telemetry bytes. */
export function roundMs(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Connects, then closes at once. Never rejects. */
export async function probeTcp(address: string, port: number, connect: TcpConnect, opts: StepOptions): Promise<TcpResult> {
  const { result, socket } = await openTcp(address, port, connect, opts);
  socket?.destroy();
  return result;
}

/**
 * Connects and, on success, hands over the open socket (the caller must end or destroy it): the TLS step
 * then shakes hands on the very connection this step measured, instead of opening a second one.
 * Never rejects.
 */
export function openTcp(address: string, port: number, connect: TcpConnect, opts: StepOptions): Promise<{ result: TcpResult; socket?: net.Socket }> {
  const started = opts.elapsed();
  return new Promise((resolve) => {
    let socket: net.Socket | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: TcpOutcome, error?: string) => {
      if (timer === undefined) return;
      clearTimeout(timer);
      timer = undefined;
      opts.signal?.removeEventListener('abort', onAbort);
      const result: TcpResult = { address, port, outcome, ms: roundMs(opts.elapsed() - started) };
      if (error !== undefined) result.error = error;
      if (outcome === 'ok' && socket) return resolve({ result, socket });
      socket?.destroy();
      resolve({ result });
    };
    const onAbort = () => finish('error', 'aborted');
    timer = setTimeout(() => finish('timeout', `no answer within ${opts.timeoutMs} ms`), opts.timeoutMs);
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      socket = connect({ host: address, port });
    } catch (err) {
      const code = errorCode(err);
      return finish(classifyTcpError(code), code ?? String(err));
    }
    socket.once('connect', () => finish('ok'));
    // Stays attached after finish: a late error on a destroyed (or handed-over) socket must not become an
    // uncaught exception; the TLS step reports errors after the connect itself.
    socket.on('error', (err) => {
      const code = errorCode(err);
      finish(classifyTcpError(code), code ?? err.message);
    });
    socket.once('close', () => finish('error', 'closed before connecting'));
  });
}
