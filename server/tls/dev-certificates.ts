import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import type { DataDirPaths } from '../data-dir.js';
import { createDevCa, issueServerCertificate, type PemPair } from './issue-certificates.js';
import { TlsSetupError } from './tls-setup-error.js';
import { writeFileAtomic } from './write-file-atomic.js';

export interface DevCertificates {
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** True when any file was written by this call (first start, or a server certificate reissued). */
  created: boolean;
}

/** A server certificate this close to expiry is reissued at start. */
const RENEW_BEFORE_MS = 30 * 86_400_000;
const DIR_MODE = 0o700;
const KEY_MODE = 0o600;
// Everything in the data dir is for its owner only (certificates too: copy one out to share it).
const CERT_MODE = 0o600;

type TlsPaths = Pick<DataDirPaths, 'tlsDir' | 'caCert' | 'caKey' | 'serverCert' | 'serverKey'>;

/**
 * Creates (first start) or loads the development CA and the server certificate for localhost,
 * 127.0.0.1 and ::1 under `paths.tlsDir` (ca.crt, ca.key, server.crt, server.key; keys 0600,
 * dir 0700). Later starts reuse the files; a server certificate that is missing, damaged, not
 * issued by the CA or near expiry is reissued from the CA. A missing ca.crt means no client can
 * trust anything here yet, so everything is made anew. A damaged or expired CA, or a missing
 * ca.key when a certificate must be issued, throws TlsSetupError: replacing a CA that clients
 * may already trust is an operator's decision.
 */
export async function ensureDevCertificates(
  paths: TlsPaths,
  options: { clock?: () => number } = {},
): Promise<DevCertificates> {
  const now = new Date((options.clock ?? Date.now)());
  await ensurePrivateDir(paths.tlsDir);
  const [caCertPem, caKeyPem, serverCertPem, serverKeyPem] = await Promise.all([
    readIfExists(paths.caCert),
    readIfExists(paths.caKey),
    readIfExists(paths.serverCert),
    readIfExists(paths.serverKey),
  ]);

  if (caCertPem === null) {
    const ca = await createDevCa(now);
    const server = await issueServerCertificate(ca, now);
    // CA first: a crash in between leaves a CA that the next start issues from.
    await writePair(paths.caCert, paths.caKey, ca);
    await writePair(paths.serverCert, paths.serverKey, server);
    return { caCert: ca.cert, serverCert: server.cert, serverKey: server.key, created: true };
  }

  const caCert = parseCert(caCertPem);
  if (!caCert?.ca || !isCurrent(caCert, now, 0)) {
    throw new TlsSetupError(
      'TLS_CERT_INVALID',
      `${paths.caCert} is not a usable CA certificate (damaged or expired); move ${paths.tlsDir} aside to make a new development CA`,
    );
  }
  await tightenKeyModes([paths.caKey, paths.serverKey]);

  if (serverCertPem !== null && serverKeyPem !== null && serverPairUsable(caCert, serverCertPem, serverKeyPem, now)) {
    return { caCert: caCertPem, serverCert: serverCertPem, serverKey: serverKeyPem, created: false };
  }

  if (caKeyPem === null) {
    throw new TlsSetupError(
      'TLS_FILES_INCOMPLETE',
      `${paths.caKey} is missing, so the server certificate cannot be issued; restore it or move ${paths.tlsDir} aside`,
    );
  }
  const caKey = parseKey(caKeyPem);
  if (!caKey || !caCert.checkPrivateKey(caKey)) {
    throw new TlsSetupError('TLS_CERT_INVALID', `${paths.caKey} does not belong to ${paths.caCert}`);
  }
  const server = await issueServerCertificate({ cert: caCertPem, key: caKeyPem }, now);
  await writePair(paths.serverCert, paths.serverKey, server);
  return { caCert: caCertPem, serverCert: server.cert, serverKey: server.key, created: true };
}

function serverPairUsable(caCert: X509Certificate, certPem: string, keyPem: string, now: Date): boolean {
  const cert = parseCert(certPem);
  const key = parseKey(keyPem);
  if (!cert || !key) return false;
  return (
    !cert.ca &&
    cert.checkIssued(caCert) &&
    cert.verify(caCert.publicKey) &&
    cert.checkPrivateKey(key) &&
    isCurrent(cert, now, RENEW_BEFORE_MS)
  );
}

function isCurrent(cert: X509Certificate, now: Date, margin: number): boolean {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  return from <= now.getTime() && to > now.getTime() + margin;
}

function parseCert(pem: string): X509Certificate | null {
  try {
    return new X509Certificate(pem);
  } catch {
    return null;
  }
}

function parseKey(pem: string): KeyObject | null {
  try {
    return createPrivateKey(pem);
  } catch {
    return null;
  }
}

async function writePair(certPath: string, keyPath: string, pair: PemPair): Promise<void> {
  await writeFileAtomic(keyPath, pair.key, KEY_MODE);
  await writeFileAtomic(certPath, pair.cert, CERT_MODE);
}

/** A file's text, or null when there is no such file. */
export async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** mkdir -p with 0700, and narrow an existing directory to 0700. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
  const info = await stat(dir);
  if ((info.mode & 0o777) !== DIR_MODE) await chmod(dir, DIR_MODE);
}

/** Keys copied in with a loose umask are narrowed to 0600 rather than refused. */
async function tightenKeyModes(paths: string[]): Promise<void> {
  for (const path of paths) {
    try {
      const info = await stat(path);
      if ((info.mode & 0o077) !== 0) await chmod(path, KEY_MODE);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}
