import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { TERMINAL_PATTERN } from '../../protocol/index.js';

/**
 * Which kind of session a TLS connection may open (protocol/README.md §1.1), decided from the client
 * certificate alone: none = remote session; one that chains to the terminal CA, is in date and is
 * the certificate on record for an active terminal = terminal session; anything else is refused
 * (the first frame gets TERMINAL_REFUSED). The terminal id is the certificate's CN, nothing else.
 */
export type TerminalVerdict =
  | { kind: 'remote' }
  | { kind: 'terminal'; id: string; fingerprint: string }
  | { kind: 'refused'; reason: string; id: string | null };

/** What the gate needs to know about an enrolled terminal. */
export type TerminalLookup = (id: string) => { status: 'active' | 'revoked'; fingerprint: string } | null;

export function identifyTerminal(socket: TLSSocket, lookup: TerminalLookup, nowMs: number): TerminalVerdict {
  const peer = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0 || !peer.raw) return { kind: 'remote' };
  // `authorized` is OpenSSL's verdict against the terminal CA only (the server's `ca` option):
  // chain, signature, validity period, clientAuth purpose.
  if (!socket.authorized) {
    return { kind: 'refused', reason: String(socket.authorizationError ?? 'certificate not trusted'), id: null };
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(peer.raw);
  } catch {
    return { kind: 'refused', reason: 'certificate cannot be parsed', id: null };
  }
  // Our own clock too: tests and a skewed host agree with the ledger's idea of now.
  if (Date.parse(cert.validFrom) > nowMs || Date.parse(cert.validTo) <= nowMs) {
    return { kind: 'refused', reason: 'certificate outside its validity period', id: null };
  }
  const cn = peer.subject?.CN;
  if (typeof cn !== 'string' || !TERMINAL_PATTERN.test(cn)) {
    return { kind: 'refused', reason: 'certificate CN is not one terminal id', id: null };
  }
  const record = lookup(cn);
  if (!record) return { kind: 'refused', reason: 'terminal not enrolled', id: cn };
  if (record.status !== 'active') return { kind: 'refused', reason: 'terminal revoked', id: cn };
  if (record.fingerprint !== cert.fingerprint256) {
    return { kind: 'refused', reason: 'not the certificate on record for this terminal', id: cn };
  }
  return { kind: 'terminal', id: cn, fingerprint: cert.fingerprint256 };
}
