// Step 6 of a probe: after a verified handshake, one exchange of the port's own protocol on the same
// connection, without any credential. TLS alone does not prove the service is there: a next-generation
// firewall may let the handshake through and drop MQTT or AMQP after it, and a proxy or block page may
// answer HTTPS in Azure's place with a certificate the device trusts. The service's answer to an anonymous
// request is enough: IoT Hub and DPS refuse an MQTT CONNECT without a password with a CONNACK, an AMQP peer
// answers the protocol header with its own, and Azure's HTTPS front ends mark even a 401 with their
// `x-ms-` / `iothub-` headers.
import { randomBytes } from 'node:crypto';
import type tls from 'node:tls';
import {
  AMQP_SASL_HEADER,
  clean,
  httpRequest,
  MAX_HEAD_BYTES,
  mqttConnect,
  readAmqpHeader,
  readConnack,
  readHttpHead,
  type HttpHead,
} from './service-wire.js';
import { boundedStep, errorCode, errorText, type Ended, type StepOptions } from './step.js';
import type { Kind, ServiceOutcome, ServiceProtocol, ServiceResult } from './types.js';

/** Which exchange a port speaks: 8883 MQTT over TLS, 5671 AMQP over TLS, the HTTPS ports. */
export function serviceProtocol(port: number): ServiceProtocol | undefined {
  if (port === 8883) return 'mqtt';
  if (port === 5671) return 'amqp';
  if (port === 443 || port === 8443 || port === 5986) return 'https';
  return undefined;
}

/**
 * The path that makes the kind's service answer with its own headers: the registry API's base (`/v2/`,
 * answered 401 with `Docker-Distribution-Api-Version`), the Blob service's container list (401/403 with
 * `x-ms-request-id`), IoT Hub's device registry (401 with `iothub-errorcode`).
 */
export function servicePath(kind: Kind): string {
  if (kind === 'acr') return '/v2/';
  if (kind === 'blob') return '/?comp=list';
  if (kind === 'iothub') return '/devices?api-version=2021-04-12';
  return '/';
}

/** MQTT keep-alive in the CONNECT; the connection is closed long before it matters. */
const KEEP_ALIVE_SECONDS = 30;

type Reading = { kind: 'incomplete' } | { kind: 'foreign'; detail: string } | { kind: 'answer'; detail: string };

/** The request to send and the reader of its answer, for one protocol. */
interface Exchange {
  request: Buffer;
  read(bytes: Uint8Array, ended: boolean): Reading | { kind: 'http'; head: HttpHead };
}

function exchangeFor(protocol: ServiceProtocol, host: string, kind: Kind, port: number): Exchange {
  switch (protocol) {
    case 'mqtt':
      return {
        // MQTT 3.1.1 §3.1: user name only (flags 0x82), so IoT Hub and DPS refuse with CONNACK 4 or 5. The id
        // is 26 bytes: §3.1.3.1 lets a broker refuse ids over 23 (CONNACK 2), which is still its answer.
        request: mqttConnect({
          clientId: `privatelink-probe-${randomBytes(4).toString('hex')}`,
          username: `${host}/privatelink-probe`,
          keepAliveSeconds: KEEP_ALIVE_SECONDS,
        }),
        read: (bytes, ended) => {
          const r = readConnack(bytes, ended);
          return r.kind === 'connack' ? { kind: 'answer', detail: `CONNACK ${r.returnCode}` } : r;
        },
      };
    case 'amqp':
      return {
        // AMQP 1.0 §5.3.1: a client that will authenticate with SASL opens with the SASL protocol header.
        request: AMQP_SASL_HEADER,
        read: (bytes, ended) => {
          const r = readAmqpHeader(bytes, ended);
          if (r.kind !== 'header') return r;
          return { kind: 'answer', detail: `AMQP header ${r.protocolId} ${r.major}.${r.minor}.${r.revision}` };
        },
      };
    case 'https':
      return {
        request: httpRequest(host, port, servicePath(kind)),
        read: (bytes, ended) => {
          const r = readHttpHead(bytes, ended);
          return r.kind === 'response' ? { kind: 'http', head: r.head } : r;
        },
      };
  }
}

interface Answer {
  outcome: Exclude<ServiceOutcome, 'skipped'>;
  detail: string;
  head?: HttpHead;
  /** Monotonic ms from the request's write to the answer's arrival. */
  roundTripMs?: number;
}

/**
 * The exchange on a verified TLS connection, which it takes over and closes. Never rejects: `ok`, `blocked`
 * (no answer in time, or closed or reset after the request), `foreign` (something else answered), or
 * `skipped` (no exchange known for the port, or the run was aborted).
 */
export async function probeService(
  socket: tls.TLSSocket,
  host: string,
  kind: Kind,
  port: number,
  opts: StepOptions & { now: () => number },
): Promise<ServiceResult> {
  const protocol = serviceProtocol(port);
  if (!protocol) {
    close(socket, true);
    return { outcome: 'skipped', ms: 0, detail: `no exchange known for port ${port}` };
  }
  let exchange: Exchange;
  try {
    exchange = exchangeFor(protocol, host, kind, port);
  } catch (error) {
    // A name that cannot go into a request line unchanged: nothing is sent rather than something else.
    close(socket, true);
    return { protocol, outcome: 'skipped', ms: 0, detail: clean(`no request sent: ${errorText(error)}`) };
  }
  let sentAtEpoch: number | undefined;
  let received = Buffer.alloc(0);
  let started = false;
  const { ended, ms } = await boundedStep<Answer>(opts, (settle) => {
    started = true;
    let answered = false;
    const answer = (value: Answer) => {
      answered = true;
      settle({ kind: 'done', value });
    };
    let sentAt = 0;
    const read = (closed: boolean) => {
      const r = exchange.read(received, closed);
      if (r.kind === 'incomplete') {
        if (closed) answer({ outcome: 'blocked', detail: closedDetail(received.length) });
        return;
      }
      const roundTripMs = opts.elapsed() - sentAt;
      if (r.kind === 'foreign') answer({ outcome: 'foreign', detail: r.detail, roundTripMs });
      else if (r.kind === 'answer') answer({ outcome: 'ok', detail: r.detail, roundTripMs });
      else answer({ ...httpVerdict(r.head, kind), head: r.head, roundTripMs });
    };
    const onData = (chunk: Buffer) => {
      // One byte over the bound is enough for the reader to say the answer is too long.
      const room = Math.max(0, MAX_HEAD_BYTES + 1 - received.length);
      received = Buffer.concat([received, chunk.subarray(0, room)]);
      read(false);
    };
    const onEnd = () => read(true);
    // Stays attached after the step: a late error on a closed socket must not become an uncaught exception.
    socket.on('error', (error) => settle({ kind: 'failed', error }));
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    if (socket.destroyed || !socket.writable) answer({ outcome: 'blocked', detail: 'closed before the request' });
    else {
      sentAtEpoch = opts.now();
      sentAt = opts.elapsed();
      socket.write(exchange.request);
    }
    return () => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      // After an answer, close politely (the peer sees a clean close); after a timeout, an abort or a reset
      // there is nothing to save, and a peer that does not read must not hold the connection open.
      close(socket, answered);
    };
  });
  // Aborted before it began: the connection handed over is still ours to close.
  if (!started) close(socket, false);
  const result: ServiceResult = { protocol, ...outcomeOf(ended, opts.timeoutMs, received.length), ms };
  if (ended.kind === 'done') {
    const { head, roundTripMs } = ended.value;
    if (head?.dateMs !== undefined && sentAtEpoch !== undefined && roundTripMs !== undefined) {
      result.clockOffsetSeconds = clockOffset(head.dateMs, sentAtEpoch, roundTripMs);
    }
  }
  return result;
}

function outcomeOf(ended: Ended<Answer>, timeoutMs: number, bytes: number): Pick<ServiceResult, 'outcome' | 'detail'> {
  switch (ended.kind) {
    case 'done':
      return { outcome: ended.value.outcome, detail: ended.value.detail };
    case 'timeout':
      return {
        outcome: 'blocked',
        detail:
          bytes === 0
            ? `no answer within ${timeoutMs} ms`
            : `no complete answer within ${timeoutMs} ms (${bytes} bytes)`,
      };
    case 'aborted':
      // The run was cancelled: nothing was learned about the service, so no verdict may rest on it.
      return { outcome: 'skipped', detail: 'aborted' };
    case 'failed': {
      const code = errorCode(ended.error);
      if (code === 'ECONNRESET' || code === 'EPIPE')
        return { outcome: 'blocked', detail: `reset after the request (${code})` };
      return { outcome: 'blocked', detail: clean(`failed after the request (${errorText(ended.error)})`) };
    }
  }
}

function closedDetail(bytes: number): string {
  return bytes === 0 ? 'closed after the request' : `closed after the request, ${bytes} bytes into an answer`;
}

/**
 * An HTTP answer is Azure's when it carries one of Azure's own headers; any other answer on an Azure name is
 * a proxy or block page. A custom target's service is not Azure, so whatever HTTP answers there is it.
 */
function httpVerdict(head: HttpHead, kind: Kind): Pick<Answer, 'outcome' | 'detail'> {
  if (head.azureMarker !== undefined)
    return { outcome: 'ok', detail: clean(`HTTP ${head.status} ${head.azureMarker}`) };
  if (kind === 'custom') return { outcome: 'ok', detail: `HTTP ${head.status}` };
  const status = `HTTP ${head.status}${head.reason ? ` ${head.reason}` : ''}`;
  return {
    outcome: 'foreign',
    detail: clean(head.server === undefined ? status : `${status}, Server: ${head.server}`),
  };
}

/**
 * Server time minus local time at the moment the server stamped its answer, taken as halfway through the
 * round trip (the Date header itself is whole seconds), in seconds to 0.1.
 */
function clockOffset(dateMs: number, sentAtEpoch: number, roundTripMs: number): number {
  return Math.round((dateMs - (sentAtEpoch + roundTripMs / 2)) / 100) / 10;
}

function close(socket: tls.TLSSocket, politely: boolean): void {
  if (socket.destroyed) return;
  if (politely) socket.end(() => socket.destroy());
  else socket.destroy();
}
