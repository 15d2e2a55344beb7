// The proxy step: `CONNECT host:port` (RFC 9110 §9.3.6) through the HTTP proxy the runtime uses, as
// edgeHub's AmqpWs/MqttWs upstream does on 443. The proxy resolves the name, so its DNS decides whether the
// private endpoint is reached; this step says whether the proxy let us through, and hands the tunnel to the
// TLS step, which then verifies the endpoint's certificate through it.
import type net from 'node:net';
import type { TcpConnect } from './deps.js';
import { isValidHost, isValidPort } from './hostname.js';
import { readResponseHead, type ResponseHead } from './http-head.js';
import type { ProxyEndpoint } from './proxy-settings.js';
import { boundedStep, errorText, type StepOptions } from './step.js';
import type { ProxyOutcome, ProxyResult } from './types.js';

/** More than any proxy's CONNECT answer needs (squid's and tinyproxy's are under 200 bytes). */
export const MAX_CONNECT_HEAD_BYTES = 8 * 1024;

/**
 * The proxy's status → outcome. 407: it wants (other) credentials; 403 and other 4xx: its policy refuses
 * the target; 5xx: it could not resolve or reach the target (tinyproxy answers 500, squid 502–504). A 3xx
 * (a captive portal's redirect) does not open a tunnel either, so it counts as refused.
 */
export function connectOutcome(status: number): ProxyOutcome {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 407) return 'auth-required';
  if (status >= 500) return 'upstream-failed';
  return 'denied';
}

/** The request as sent: authority-form target (`[v6]:port` for IPv6), `Host` the same, credentials when configured. */
export function connectRequest(proxy: Pick<ProxyEndpoint, 'authorization'>, host: string, port: number): string {
  const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const lines = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
  if (proxy.authorization) lines.push(`Proxy-Authorization: ${proxy.authorization}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** The failure of the proxy's answer itself (not HTTP, never ending): the text is already printable. */
class BadAnswer extends Error {}

/**
 * Connects to the proxy, asks for a tunnel to `host:port` and reads the answer's head, all within one
 * `timeoutMs`. On a 2xx the open socket is handed over, paused, with any bytes after the head pushed back
 * (the caller runs TLS through it: `tls.connect({ socket })`, and must end or destroy it). Every other
 * outcome closes the socket. Never rejects.
 */
export async function openTunnel(
  proxy: ProxyEndpoint,
  host: string,
  port: number,
  connect: TcpConnect,
  opts: StepOptions,
): Promise<{ result: ProxyResult; socket?: net.Socket }> {
  const result = (outcome: ProxyOutcome, ms: number, detail: Pick<ProxyResult, 'status' | 'error'> = {}) => ({
    result: { url: proxy.url, outcome, ms, ...detail },
  });
  // The target goes into the request line: anything but a host and a port could split it.
  if (!isValidHost(host) || !isValidPort(port)) {
    return result('unreachable', 0, { error: 'not a host and port to CONNECT to' });
  }
  let socket: net.Socket | undefined;
  let connected = false;
  let handedOver = false;
  const { ended, ms } = await boundedStep<ResponseHead>(opts, (settle) => {
    const s = (socket = connect({ host: proxy.host, port: proxy.port }));
    let received = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      // At most the bound and one chunk are kept: the reader has its answer once the bound is reached.
      received = Buffer.concat([received, chunk]);
      const answer = readResponseHead(received, { limit: MAX_CONNECT_HEAD_BYTES });
      if (answer.kind === 'incomplete') return;
      if (answer.kind === 'foreign') return settle({ kind: 'failed', error: new BadAnswer(answer.detail) });
      const { head } = answer;
      if (connectOutcome(head.status) === 'ok') {
        handedOver = true;
        s.pause();
        // Whatever came after the head is the tunnel's: the TLS handshake reads it from the socket.
        const rest = received.subarray(head.end);
        if (rest.length > 0) s.unshift(rest);
      }
      settle({ kind: 'done', value: head });
    };
    s.once('connect', () => {
      connected = true;
      s.write(connectRequest(proxy, host, port));
    });
    s.on('data', onData);
    // Stays attached after the step: a late error on a destroyed (or handed-over) socket must not become an
    // uncaught exception.
    s.on('error', (error) => settle({ kind: 'failed', error }));
    s.once('close', () => {
      const error =
        received.length > 0
          ? 'the proxy closed the connection in the middle of its answer'
          : 'the proxy closed the connection without answering';
      settle({ kind: 'failed', error: new BadAnswer(error) });
    });
    return () => {
      s.removeListener('data', onData);
      if (!handedOver) s.destroy();
    };
  });
  switch (ended.kind) {
    case 'done': {
      const { status, statusLine, headers } = ended.value;
      const outcome = connectOutcome(status);
      if (outcome === 'ok') return { ...result(outcome, ms, { status }), socket };
      return result(outcome, ms, { status, error: withChallenges(statusLine, status, headers) });
    }
    case 'timeout':
      return result('unreachable', ms, {
        error: `${connected ? 'no answer' : 'no connection'} within ${opts.timeoutMs} ms`,
      });
    case 'aborted':
      return result('unreachable', ms, { error: 'aborted' });
    case 'failed':
      return result('unreachable', ms, {
        error: ended.error instanceof BadAnswer ? ended.error.message : errorText(ended.error),
      });
  }
}

/**
 * A 407's status line with the schemes the proxy offers: a proxy that asks only for Negotiate or NTLM cannot
 * be satisfied with the Basic credentials a proxy URL carries, whatever they are.
 */
function withChallenges(statusLine: string, status: number, headers: ResponseHead['headers']): string {
  if (status !== 407) return statusLine;
  const schemes = headers
    .filter(([name]) => name.toLowerCase() === 'proxy-authenticate')
    .map(([, value]) => /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}/.exec(value)?.[0])
    .filter((scheme): scheme is string => scheme !== undefined);
  const unique = [...new Set(schemes)].slice(0, 4);
  return unique.length > 0 ? `${statusLine} (the proxy asks for ${unique.join(', ')})` : statusLine;
}
