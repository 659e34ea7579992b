import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TERMINAL_PATTERN } from '../../protocol/index.js';

/** The ATM's client certificate and key (PEM), and the terminal id its CN names. */
export interface TerminalIdentity {
  cert: string | Buffer;
  key: string | Buffer;
  id: string;
}

export type TerminalIdentitySource = { ok: true; identity: TerminalIdentity | null } | { ok: false; message: string };

function pemOrFile(
  source: string | Buffer,
  what: string,
  readFile: (path: string) => Buffer,
): { ok: true; pem: string | Buffer } | { ok: false; message: string } {
  if (Buffer.isBuffer(source) || source.includes('-----BEGIN')) return { ok: true, pem: source };
  try {
    return { ok: true, pem: readFile(source) };
  } catch (error) {
    return {
      ok: false,
      message: `cannot read the terminal ${what} ${source} (${(error as NodeJS.ErrnoException).code ?? 'unreadable'}); \`bank-server terminals enroll <id>\` issues one`,
    };
  }
}

/** The CN of a certificate's subject, when it is exactly one valid terminal id. */
export function terminalIdOf(certPem: string | Buffer): string | null {
  let subject: string;
  try {
    subject = new X509Certificate(certPem).subject;
  } catch {
    return null;
  }
  const names = subject
    .split('\n')
    .filter((line) => line.startsWith('CN='))
    .map((line) => line.slice(3));
  return names.length === 1 && TERMINAL_PATTERN.test(names[0] as string) ? (names[0] as string) : null;
}

/**
 * Both or neither: a certificate without its key (or the other way round) is a configuration
 * mistake, not a remote session. Each is PEM text or a file path. The terminal id comes from the
 * certificate; the server checks the rest (chain, enrolment, revocation).
 */
export function loadTerminalIdentity(
  cert: string | Buffer | undefined,
  key: string | Buffer | undefined,
  readFile: (path: string) => Buffer = readFileSync,
): TerminalIdentitySource {
  if (cert === undefined && key === undefined) return { ok: true, identity: null };
  if (cert === undefined || key === undefined) {
    return {
      ok: false,
      message: `a terminal ${cert === undefined ? 'key' : 'certificate'} needs its ${cert === undefined ? 'certificate' : 'key'} too (--terminal-cert and --terminal-key)`,
    };
  }
  const certPem = pemOrFile(cert, 'certificate', readFile);
  if (!certPem.ok) return certPem;
  const keyPem = pemOrFile(key, 'key', readFile);
  if (!keyPem.ok) return keyPem;
  const id = terminalIdOf(certPem.pem);
  if (id === null)
    return { ok: false, message: 'the terminal certificate is not a certificate whose CN is a terminal id' };
  return { ok: true, identity: { cert: certPem.pem, key: keyPem.pem, id } };
}
