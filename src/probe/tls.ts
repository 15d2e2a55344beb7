// Step 5 of a probe: a TLS handshake with SNI = the configured name, verified by us
// rather than by Node, so the certificate can still be read and reported when verification fails.
// On a hostname mismatch a second handshake with the counterpart name (privatelink ↔ public) on the
// same address tells the operator which name the endpoint's certificate really covers.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { AZURE_ROOT_NAMES } from './defaults.js';
import { boundedStep, errorCode, type StepOptions } from './step.js';
import type { CertificateInfo, TlsOutcome, TlsResult } from './types.js';

export interface TlsTrust {
  /** One context shared by every handshake: Node's default roots + the optional extra CA PEM. */
  context: tls.SecureContext;
  extraCaPem?: string;
}

export interface TlsStepOptions extends StepOptions {
  /** Milliseconds since the epoch, for days to expiry. */
  now: () => number;
  /** Tried on the same address when the certificate does not cover `servername`. */
  counterpart?: string;
  /**
   * Common names of the roots that make `azureRoot` true (settings.knownRoots); default: the roots Azure
   * uses. A chain that verifies but ends elsewhere, for an Azure target, suggests TLS inspection.
   */
  knownRoots?: readonly string[];
  /**
   * A TCP connection the TCP step has just opened to this address and port: the handshake runs on it (and
   * `ms` is then the handshake alone) instead of on a new connection. The counterpart handshake always
   * opens its own.
   */
  socket?: net.Socket;
  /** The run's chains already read (`certificateCache()`): each port of a target presents the same one. */
  certificates?: CertificateCache;
}

/**
 * What a chain says whatever the handshake or the clock, keyed by its certificates' fingerprints: formatting it
 * (names, SANs, dates) took ~35 µs of CPU per handshake (15 µs now), and every port of a target repeated it.
 */
export type CertificateCache = Map<string, ChainFacts>;

interface ChainFacts {
  info: Omit<CertificateInfo, 'daysLeft'>;
  notAfterMs: number;
  /** The issuer's CN of every certificate of the chain, for `azureRoot`. */
  issuerNames: string[];
}

/** A cache for one run's chains. */
export function certificateCache(): CertificateCache {
  return new Map();
}

/**
 * The trust every handshake of a run shares (`tls.connect({ ca })` would build a new OpenSSL context
 * per connection: ~1.5× the CPU, measured by `npm run bench`).
 *
 * Without an extra PEM no `ca` is set, so Node uses exactly its default store, `NODE_EXTRA_CA_CERTS`
 * included. Setting `ca` replaces that store, so with an extra PEM the default store is rebuilt first:
 * `tls.getCACertificates('default')` where Node has it (22.15 and later: bundled or system roots per the
 * process flags, plus `NODE_EXTRA_CA_CERTS`), else the bundled roots plus the `NODE_EXTRA_CA_CERTS`
 * file read here the way Node reads it (an unreadable file is skipped, as Node only warns about it).
 */
export function createTrust(extraCaPem?: string): TlsTrust {
  if (!extraCaPem) return { context: tls.createSecureContext() };
  return { context: tls.createSecureContext({ ca: [...defaultCaCertificates(), extraCaPem] }), extraCaPem };
}

let lastTrust: TlsTrust | undefined;

/**
 * The trust for this CA bundle, kept across runs: building it parses every default root (~40 ms of CPU),
 * which would otherwise be paid on every run and every ad-hoc probe.
 */
export function sharedTrust(extraCaPem?: string): TlsTrust {
  if (!lastTrust || lastTrust.extraCaPem !== extraCaPem) lastTrust = createTrust(extraCaPem);
  return lastTrust;
}

function defaultCaCertificates(): string[] {
  const getCaCertificates = (tls as { getCACertificates?: (type: 'default') => string[] }).getCACertificates;
  if (getCaCertificates) return getCaCertificates('default');
  const extraFile = process.env.NODE_EXTRA_CA_CERTS;
  const extra: string[] = [];
  if (extraFile) {
    try {
      extra.push(readFileSync(extraFile, 'utf8'));
    } catch {
      // Node starts without these certificates too, after a warning on stderr.
    }
  }
  return [...tls.rootCertificates, ...extra];
}

/**
 * Handshake, verification and certificate facts for one address and port. Never rejects.
 *
 * When both the chain and the name fail, the chain wins (expired / not yet valid, then untrusted, then
 * the name): a name check against a certificate nobody trusts says little, and OpenSSL itself reports
 * validity-period errors after trust errors, so `expired` surfaces for an expired certificate from an
 * unknown CA too.
 */
export async function probeTls(
  address: string,
  port: number,
  servername: string,
  trust: TlsTrust,
  opts: TlsStepOptions,
): Promise<TlsResult> {
  const { result, socket } = await openTls(address, port, servername, trust, opts);
  socket?.end(() => socket.destroy());
  return result;
}

/**
 * `probeTls` that, when the handshake verified (`ok`), hands over the open TLS connection: the service
 * exchange then runs on the very connection this step measured. The caller must end or destroy it.
 */
export async function openTls(
  address: string,
  port: number,
  servername: string,
  trust: TlsTrust,
  opts: TlsStepOptions,
): Promise<{ result: TlsResult; socket?: tls.TLSSocket }> {
  const { result, socket } = await handshake(address, port, servername, trust, opts, true);
  if (result.outcome !== 'hostname-mismatch' || !opts.counterpart) return { result, socket };
  const { result: other } = await handshake(
    address,
    port,
    opts.counterpart,
    trust,
    { ...opts, socket: undefined },
    false,
  );
  result.counterpart = { servername: opts.counterpart, outcome: other.outcome, ms: other.ms };
  if (other.error !== undefined) result.counterpart.error = other.error;
  return { result };
}

type Outcome = Omit<TlsResult, 'address' | 'port' | 'servername' | 'ms'>;

async function handshake(
  address: string,
  port: number,
  servername: string,
  trust: TlsTrust,
  opts: TlsStepOptions,
  keepVerified: boolean,
): Promise<{ result: TlsResult; socket?: tls.TLSSocket }> {
  let socket: tls.TLSSocket | undefined;
  // The TCP connection under the handshake, opened here when none was handed over. Its `bytesRead` counts
  // what the kernel delivered, TLS records included: a TLSSocket's own `bytesRead` counts only decrypted
  // application data (0 throughout a handshake), and tls.connect({ host, port }) would keep its TCP handle
  // where no public API reads it. Measured on Node 20 and 24, for a connection handed over before and
  // after it connected. What it had read before (a proxy's answer to CONNECT) is not the server's.
  let tcp: net.Socket | undefined;
  let readBefore = 0;
  let tcpConnected = opts.socket !== undefined;
  let peer: tls.DetailedPeerCertificate | undefined;
  let handshakeDone = false;
  let kept = false;
  const { ended, ms } = await boundedStep<Outcome>(opts, (settle) => {
    const raw = (tcp = opts.socket ?? net.connect({ host: address, port }));
    readBefore = raw.bytesRead;
    const s = (socket = tls.connect({
      // tls.connect listens for the TCP socket's errors (ECONNREFUSED, ...) and emits them on `s`.
      socket: raw,
      // SNI carries names only (RFC 6066); for an IP the certificate is still checked against that IP.
      servername: net.isIP(servername) === 0 ? servername : undefined,
      secureContext: trust.context,
      // Both checks are ours (verify below): Node's own name check would hide the chain's verdict. Node
      // hands it the certificate it has just read (when the chain verified): kept, so it is read once.
      rejectUnauthorized: false,
      checkServerIdentity: (_host, cert) => {
        peer = cert as tls.DetailedPeerCertificate;
        return undefined;
      },
    }));
    raw.once('connect', () => (tcpConnected = true));
    s.once('secureConnect', () => {
      try {
        const outcome = verify(
          s,
          peer ?? s.getPeerCertificate(true),
          servername,
          opts.now(),
          opts.knownRoots ?? AZURE_ROOT_NAMES,
          opts.certificates,
        );
        handshakeDone = true;
        kept = keepVerified && outcome.outcome === 'ok';
        settle({ kind: 'done', value: outcome });
      } catch (error) {
        settle({ kind: 'failed', error });
      }
    });
    // Stays attached after the step: a late error on a destroyed socket must not become an uncaught exception.
    s.on('error', (error) => settle({ kind: 'failed', error }));
    // Every connection closes in the end: the error (and its stack) is made only when it closed first.
    s.once('close', () => {
      if (!handshakeDone) settle({ kind: 'failed', error: new Error('connection closed during the TLS handshake') });
    });
    // After a handshake, close politely: destroying at once would discard our last handshake flight and the
    // endpoint would log every probe as a failed handshake. Otherwise there is nothing to save.
    return () => {
      if (kept) return;
      if (handshakeDone) s.end(() => s.destroy());
      else s.destroy();
    };
  });
  // Never started (aborted before, or tls.connect threw): the TCP connection is ours to close.
  if (!socket) (tcp ?? opts.socket)?.destroy();
  const outcome = ((): Outcome => {
    switch (ended.kind) {
      case 'done':
        return ended.value;
      case 'failed':
        return { outcome: 'failed', error: describeError(ended.error) };
      case 'aborted':
        return { outcome: 'failed', error: 'aborted' };
      case 'timeout':
        return timedOut(tcpConnected, (tcp?.bytesRead ?? 0) - readBefore, opts.timeoutMs);
    }
  })();
  const result: TlsResult = { address, port, servername, ...outcome, ms };
  return kept ? { result, socket } : { result };
}

/**
 * A handshake cut off by the timeout. Bytes from the server mean the path carries its small packets but not
 * the rest of its first flight (the certificate chain, in full-size segments): `stalled`. None means either
 * a listener that never answers TLS or a path whose drop began with the flight's first, full-size segment.
 */
function timedOut(tcpConnected: boolean, bytesReceived: number, timeoutMs: number): Outcome {
  if (!tcpConnected) return { outcome: 'timeout', error: `no TCP connection within ${timeoutMs} ms`, bytesReceived };
  if (bytesReceived === 0) {
    return { outcome: 'timeout', error: `TCP connected, but no TLS handshake within ${timeoutMs} ms`, bytesReceived };
  }
  return {
    outcome: 'stalled',
    error: `TCP connected and the server sent ${bytesReceived} bytes, then nothing more within ${timeoutMs} ms`,
    bytesReceived,
  };
}

function verify(
  socket: tls.TLSSocket,
  peer: tls.DetailedPeerCertificate,
  servername: string,
  now: number,
  knownRoots: readonly string[],
  cache: CertificateCache | undefined,
): Outcome {
  const facts: Outcome = { outcome: 'ok' };
  const protocol = socket.getProtocol();
  if (protocol) facts.protocol = protocol;
  facts.cipher = socket.getCipher().name;
  if (!peer.raw) return { ...facts, outcome: 'failed', error: 'the server presented no certificate' };
  const chain = issuerChain(peer);
  const key = chain.map((c) => c.fingerprint256).join(' ');
  let read = cache?.get(key);
  if (!read) {
    read = chainFacts(peer, chain);
    cache?.set(key, read);
  }
  const { sans, ...info } = read.info;
  facts.cert = { ...info, sans: [...sans], daysLeft: Math.floor((read.notAfterMs - now) / DAY_MS) };
  // Matched on the issuer's CN of every certificate: the root itself is absent when the chain is incomplete.
  facts.azureRoot = read.issuerNames.some((name) => knownRoots.includes(name));
  if (!socket.authorized) {
    // Node stores the OpenSSL verify code here (a string such as CERT_HAS_EXPIRED), typed as Error.
    const code = String(socket.authorizationError);
    return { ...facts, outcome: classifyChainError(code), error: code };
  }
  const nameError = tls.checkServerIdentity(servername, peer);
  if (nameError) return { ...facts, outcome: 'hostname-mismatch', error: describeError(nameError) };
  return facts;
}

/**
 * OpenSSL verify code → outcome. Every code other than the validity period means the chain does not
 * lead to a trusted root the way it must (unknown issuer, bad signature, wrong purpose, ...): `untrusted`,
 * with the code kept in `error`.
 */
function classifyChainError(code: string): TlsOutcome {
  if (code === 'CERT_HAS_EXPIRED') return 'expired';
  if (code === 'CERT_NOT_YET_VALID') return 'not-yet-valid';
  return 'untrusted';
}

/** The leaf, then each issuer Node could find, up to a self-issued certificate or a repeat. */
function issuerChain(leaf: tls.DetailedPeerCertificate): tls.DetailedPeerCertificate[] {
  const chain = [leaf];
  const seen = new Set([leaf.fingerprint256]);
  for (let next = leaf.issuerCertificate; next?.raw && !seen.has(next.fingerprint256); next = next.issuerCertificate) {
    chain.push(next);
    seen.add(next.fingerprint256);
  }
  return chain;
}

const DAY_MS = 86_400_000;

function chainFacts(peer: tls.PeerCertificate, chain: tls.PeerCertificate[]): ChainFacts {
  const notAfter = new Date(peer.valid_to);
  return {
    info: {
      subject: formatName(peer.subject),
      issuer: formatName(peer.issuer),
      sans: subjectAltNames(peer.subjectaltname),
      notBefore: new Date(peer.valid_from).toISOString(),
      notAfter: notAfter.toISOString(),
      chainTop: formatName(chain[chain.length - 1]!.subject),
    },
    notAfterMs: notAfter.getTime(),
    issuerNames: chain.map((c) => commonName(c.issuer)),
  };
}

type NameFields = Record<string, string | string[] | undefined>;

const SPECIALS = /[,+"\\<>;]/g;

/**
 * One line in RFC 4514 order (`CN=..., O=..., C=...`): Node lists attributes in certificate (DER) order,
 * which is the reverse; an attribute that repeats is listed in reverse too.
 */
function formatName(name: tls.Certificate | undefined): string {
  const fields = (name ?? {}) as NameFields;
  const keys = Object.keys(fields);
  let line = '';
  const add = (key: string, value: string) => {
    line += `${line ? ', ' : ''}${key}=${value.replace(SPECIALS, '\\$&')}`;
  };
  for (let k = keys.length - 1; k >= 0; k--) {
    const key = keys[k]!;
    const value = fields[key];
    if (!Array.isArray(value)) add(key, value ?? '');
    else for (let v = value.length - 1; v >= 0; v--) add(key, value[v]!);
  }
  return line;
}

function commonName(name: tls.Certificate | undefined): string {
  const cn = ((name ?? {}) as NameFields).CN;
  return (Array.isArray(cn) ? cn[0] : cn) ?? '';
}

/**
 * DNS and IP entries of Node's `subjectaltname` text (`DNS:a, IP Address:10.0.0.1`). Node quotes an entry
 * that contains a comma or quote as a JSON string, so entries are matched, not split on commas.
 */
function subjectAltNames(text: string | undefined): string[] {
  const names: string[] = [];
  for (const m of (text ?? '').matchAll(/([\w ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g)) {
    if (m[1] !== 'DNS' && m[1] !== 'IP Address') continue;
    const value = m[2]!;
    names.push(value.startsWith('"') ? (JSON.parse(value) as string) : value);
  }
  return names;
}

/** `CODE: text` from a Node or OpenSSL error, without OpenSSL's file-and-line noise. */
function describeError(err: unknown): string {
  const code = errorCode(err);
  const reason = (err as { reason?: unknown } | null)?.reason;
  const message = err instanceof Error ? err.message : String(err);
  if (code === undefined) return message;
  if (typeof reason === 'string') return `${code}: ${reason}`;
  return message.includes(code) ? message : `${code}: ${message}`;
}
