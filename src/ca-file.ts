// Extra trusted CA certificates from a file named by the deployment (CA_FILE) or the operator (--ca-file).
import { MAX_BYTES, readRegularFile } from './bounded-read.js';

/**
 * The PEM text of the file: a regular file of at most 1 MiB holding at least one certificate. Rejects with
 * an Error whose message says what is wrong (missing, permission, a FIFO, too large, no certificate), never
 * quoting the file.
 */
export async function readCaFile(path: string): Promise<string> {
  const pem = (await readRegularFile(path, MAX_BYTES.caBundle)).toString('utf8');
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in it');
  return pem;
}
