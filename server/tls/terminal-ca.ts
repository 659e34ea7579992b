import { createPrivateKey, X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';
import type { DataDirPaths } from '../data-dir.js';
import { ensurePrivateDir, readIfExists } from './dev-certificates.js';
import { CA_VALIDITY_DAYS, type PemPair } from './issue-certificates.js';
import { TlsSetupError } from './tls-setup-error.js';
import { writeFileAtomic } from './write-file-atomic.js';

type TerminalCaPaths = Pick<DataDirPaths, 'tlsDir' | 'terminalCaCert' | 'terminalCaKey'>;

export interface TerminalCa {
  /** PEM of the CA certificate: what the server verifies ATM certificates against. */
  cert: string;
  /** True when this call made the CA (a new data dir, or one made before terminals existed). */
  created: boolean;
}

const BACKDATE_MS = 3_600_000;

/**
 * Creates (when neither file exists) or loads the terminal CA: tls/terminal-ca.crt and
 * tls/terminal-ca.key (0600). It is a CA of its own, separate from the one that signs the server
 * certificate, so a leaked server-CA key cannot mint an ATM and the other way round. Half a CA
 * (one file without the other) or a damaged one throws TlsSetupError: ATMs in the field may trust
 * it, so replacing it is an operator's decision.
 */
export async function ensureTerminalCa(
  paths: TerminalCaPaths,
  options: { clock?: () => number } = {},
): Promise<TerminalCa> {
  await ensurePrivateDir(paths.tlsDir);
  const [cert, key] = await Promise.all([readIfExists(paths.terminalCaCert), readIfExists(paths.terminalCaKey)]);
  if (cert === null && key === null) {
    const ca = await createTerminalCa(new Date((options.clock ?? Date.now)()));
    await writeFileAtomic(paths.terminalCaKey, ca.key, 0o600);
    await writeFileAtomic(paths.terminalCaCert, ca.cert, 0o600);
    return { cert: ca.cert, created: true };
  }
  if (cert === null) {
    throw new TlsSetupError(
      'TLS_FILES_INCOMPLETE',
      `${paths.terminalCaCert} is missing but ${paths.terminalCaKey} exists; restore it from backup`,
    );
  }
  let parsed: X509Certificate;
  try {
    parsed = new X509Certificate(cert);
  } catch {
    throw new TlsSetupError('TLS_CERT_INVALID', `${paths.terminalCaCert} is not a certificate`);
  }
  if (!parsed.ca) throw new TlsSetupError('TLS_CERT_INVALID', `${paths.terminalCaCert} is not a CA certificate`);
  if (key !== null && !parsed.checkPrivateKey(createPrivateKey(key))) {
    throw new TlsSetupError('TLS_CERT_INVALID', `${paths.terminalCaKey} does not belong to ${paths.terminalCaCert}`);
  }
  return { cert, created: false };
}

/** The terminal CA's certificate and key, for `terminals enroll`; a missing key is an operator's problem. */
export async function loadTerminalCa(paths: TerminalCaPaths): Promise<PemPair> {
  const [cert, key] = await Promise.all([readIfExists(paths.terminalCaCert), readIfExists(paths.terminalCaKey)]);
  if (cert === null || key === null) {
    throw new TlsSetupError(
      'TLS_FILES_INCOMPLETE',
      `${cert === null ? paths.terminalCaCert : paths.terminalCaKey} is missing; start the server once (or run \`bank-server init\`) to make the terminal CA`,
    );
  }
  return { cert, key };
}

/** A self-signed CA that may sign end-entity (terminal) certificates only (pathLen 0). */
async function createTerminalCa(now: Date): Promise<PemPair> {
  const pems = await generate(
    [
      { name: 'commonName', value: 'secure-atm terminal CA' },
      { name: 'organizationName', value: 'secure-atm' },
    ],
    {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: new Date(now.getTime() - BACKDATE_MS),
      notAfterDate: new Date(now.getTime() + CA_VALIDITY_DAYS * 86_400_000),
      extensions: [
        { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
      ],
    },
  );
  return { cert: pems.cert, key: pems.private };
}
