// A test certificate authority made at test time, shared by the TLS tests, the benchmark and the demo.
// ECDSA P-256 keeps issuing to a few ms.
// Nothing is cached on disk: every process makes its own CA, so no test trusts a key it did not create.
import crypto, { webcrypto } from 'node:crypto';
import tls from 'node:tls';
import type * as X509 from '@peculiar/x509';

export interface Issued {
  certPem: string;
  keyPem: string;
}

export interface IssueOptions {
  dnsNames?: string[];
  ipAddresses?: string[];
  notBefore?: Date;
  notAfter?: Date;
  /** Default: the first DNS name, else the first IP address. */
  commonName?: string;
}

export interface TestCa {
  certPem: string;
  keyPem: string;
  /** The CA's common name; its subject is `CN=<name>, O=<TEST_ORGANIZATION>`. */
  name: string;
  issue(o: IssueOptions): Promise<Issued>;
}

/** Organisation of every subject this fixture writes, so readers can tell test certificates apart. */
export const TEST_ORGANIZATION = 'privatelink-probe tests';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const EC: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

/** A self-signed root CA. */
export async function createCa(name = 'privatelink-probe test CA'): Promise<TestCa> {
  const x509 = await loadX509();
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: subjectName(name),
      keys,
      signingAlgorithm: SIGNING,
      notBefore: new Date(Date.now() - HOUR),
      notAfter: new Date(Date.now() + 3650 * DAY),
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        // digitalSignature as well, as public roots have it: a CA certificate served as a server
        // certificate then fails as self-signed (the interesting case), not for its key usage.
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
  const certPem = pemText(cert.toString('pem'));
  const keyPem = await privateKeyPem(x509, keys.privateKey);
  return {
    certPem,
    keyPem,
    name,
    issue: (o) => issueLeaf(x509, o, cert, keys),
  };
}

async function issueLeaf(
  x509: typeof X509,
  o: IssueOptions,
  caCert: X509.X509Certificate,
  caKeys: webcrypto.CryptoKeyPair,
): Promise<Issued> {
  const dnsNames = o.dnsNames ?? [];
  const ipAddresses = o.ipAddresses ?? [];
  const commonName = o.commonName ?? dnsNames[0] ?? ipAddresses[0] ?? 'test endpoint';
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const notBefore = o.notBefore ?? new Date(Date.now() - HOUR);
  const sans = [
    ...dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...ipAddresses.map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject: subjectName(commonName),
      issuer: caCert.subject,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: SIGNING,
      notBefore,
      notAfter: o.notAfter ?? new Date(notBefore.getTime() + 90 * DAY),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(sans),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
  const issued = { certPem: pemText(cert.toString('pem')), keyPem: await privateKeyPem(x509, keys.privateKey) };
  assertNodeAccepts(issued, caCert.toString('pem'));
  return issued;
}

/**
 * Fail at the fixture, not three layers later in a handshake, if Node's TLS stack would not load the pair
 * or the signature does not verify against the CA.
 */
function assertNodeAccepts(issued: Issued, caPem: string): void {
  tls.createSecureContext({ cert: issued.certPem, key: issued.keyPem });
  const leaf = new crypto.X509Certificate(issued.certPem);
  const ca = new crypto.X509Certificate(caPem);
  if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) {
    throw new Error(`test PKI: certificate for ${leaf.subject} does not verify against ${ca.subject}`);
  }
}

/** DER order (O before CN), as public CAs write it; readers print it reversed (`CN=..., O=...`). */
function subjectName(commonName: string): X509.JsonName {
  return [{ O: [TEST_ORGANIZATION] }, { CN: [commonName] }];
}

async function privateKeyPem(x509: typeof X509, key: webcrypto.CryptoKey): Promise<string> {
  return pemText(x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY'));
}

/** PEM as files have it, ending in a newline, so bundles can be made by plain concatenation. */
function pemText(pem: string): string {
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

let x509Module: Promise<typeof X509> | undefined;

function loadX509(): Promise<typeof X509> {
  // @peculiar/x509 resolves its algorithm providers through tsyringe, which needs the Reflect metadata API.
  x509Module ??= import('reflect-metadata').then(() => import('@peculiar/x509'));
  return x509Module;
}
