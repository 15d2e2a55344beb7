// What a probe run measured about switching a configured name to its counterpart (public ↔ privatelink):
// the hub-name findings advise such a switch, and advice that sends the operator to a name the hub's
// certificate does not cover would break TLS for the whole runtime. The run's TLS handshakes on the name
// or the counterpart settle it: a handshake that verified for the counterpart, or a certificate whose
// subject alternative names cover the configured name and not the counterpart.
import tls from 'node:tls';
import { normalizeHostname } from '../probe/hostname.js';
import type { CertificateInfo, RunResult } from '../probe/types.js';

export interface MeasuredSwitch {
  /** The name the advice would switch to. */
  to: string;
  /** `verified`: a handshake for it verified; `not-covered`: the certificate presented does not cover it. */
  outcome: 'verified' | 'not-covered';
  /** The TLS port that showed it. */
  port: number;
}

/** Whether a certificate's SANs cover `name`, by Node's own rules (one-label wildcards). Unknown without SANs. */
function covers(cert: CertificateInfo, name: string): boolean | undefined {
  if (cert.sans.length === 0) return undefined;
  const subjectaltname = cert.sans.map((san) => `DNS:${san}`).join(', ');
  return tls.checkServerIdentity(name, { subject: {}, subjectaltname } as tls.PeerCertificate) === undefined;
}

/** What `run` says about moving from `name` to `counterpart`; undefined when no handshake on either told. */
export function measureSwitch(
  run: RunResult | undefined,
  name: string,
  counterpart: string | undefined,
): MeasuredSwitch | undefined {
  if (run === undefined || counterpart === undefined) return undefined;
  const from = normalizeHostname(name);
  const to = normalizeHostname(counterpart);
  const handshakes = run.targets
    .filter((t) => [from, to].includes(normalizeHostname(t.host)))
    .flatMap((t) => t.ports.flatMap((p) => (p.tls ? [{ port: p.port, tls: p.tls }] : [])));
  const verified = handshakes.find(
    ({ tls: h }) =>
      (h.outcome === 'ok' && normalizeHostname(h.servername) === to) ||
      (h.counterpart?.outcome === 'ok' && normalizeHostname(h.counterpart.servername) === to),
  );
  if (verified) return { to: counterpart, outcome: 'verified', port: verified.port };
  const notCovered = handshakes.find(
    ({ tls: h }) => h.cert && covers(h.cert, from) === true && covers(h.cert, to) === false,
  );
  return notCovered ? { to: counterpart, outcome: 'not-covered', port: notCovered.port } : undefined;
}
