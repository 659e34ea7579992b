import { createPrivateKey, generateKeyPairSync, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { PemPair } from './issue-certificates.js';

/**
 * Terminal (ATM client) certificates: CN = terminal id, clientAuth only, signed by the terminal
 * CA. Either with a fresh P-256 key made here, or for the public key in an ATM's own PKCS#10
 * request, so its private key never leaves the machine. @peculiar/x509 does the signing because
 * selfsigned cannot sign a key it did not generate.
 */

export interface IssuedTerminalCertificate {
  cert: string;
  /** PKCS#8 PEM of the new key; null when the certificate was made for a CSR. */
  key: string | null;
  /** SHA-256 of the DER, as Node's X509Certificate.fingerprint256 prints it (what the ledger records). */
  fingerprint: string;
  validTo: string;
}

/** A CSR that cannot be used; `message` is one line for the operator. */
export class CsrError extends Error {
  readonly code = 'INVALID_CSR';
}

const SIGNING = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
/** Start validity an hour early so an ATM whose clock is slightly ahead of the server's is not refused. */
const BACKDATE_MS = 3_600_000;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export async function issueTerminalCertificate(
  ca: PemPair,
  input: { id: string; days: number; now: Date; csrPem?: string },
): Promise<IssuedTerminalCertificate> {
  const caCert = new x509.X509Certificate(ca.cert);
  const signingKey = await webcrypto.subtle.importKey(
    'pkcs8',
    createPrivateKey(ca.key).export({ type: 'pkcs8', format: 'der' }),
    SIGNING,
    false,
    ['sign'],
  );
  let publicKey: x509.PublicKeyType;
  let keyPem: string | null = null;
  if (input.csrPem === undefined) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    keyPem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    publicKey = await webcrypto.subtle.importKey(
      'spki',
      pair.publicKey.export({ type: 'spki', format: 'der' }),
      SIGNING,
      true,
      ['verify'],
    );
  } else {
    publicKey = await publicKeyOfCsr(input.csrPem, input.id);
  }
  const serial = randomBytes(16);
  serial[0] = (serial[0] as number) & 0x7f; // a positive INTEGER
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial.toString('hex'),
    subject: new x509.Name([{ CN: [input.id] }, { O: ['secure-atm terminal'] }]),
    issuer: caCert.subjectName,
    notBefore: new Date(input.now.getTime() - BACKDATE_MS),
    notAfter: new Date(input.now.getTime() + input.days * 86_400_000),
    signingAlgorithm: SIGNING,
    publicKey,
    signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ],
  });
  const pem = cert.toString('pem');
  const node = new X509Certificate(pem);
  return { cert: `${pem}\n`, key: keyPem, fingerprint: node.fingerprint256, validTo: node.validTo };
}

async function publicKeyOfCsr(csrPem: string, id: string): Promise<x509.PublicKeyType> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new CsrError('the --csr file is not a PEM or DER certificate signing request (PKCS#10)');
  }
  let signed = false;
  try {
    signed = await csr.verify();
  } catch {
    signed = false;
  }
  if (!signed) throw new CsrError('the certificate signing request is not signed by its own key');
  const names = csr.subjectName.getField('CN');
  if (names.length > 0 && (names.length !== 1 || names[0] !== id)) {
    throw new CsrError(`the certificate signing request names CN=${names.join(',')}, not ${id}`);
  }
  return csr.publicKey;
}

/** The fingerprint the ledger records for a certificate (PEM). */
export function certificateFingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}
