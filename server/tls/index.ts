/**
 * The server's TLS material: a development CA and a server certificate for localhost,
 * 127.0.0.1 and ::1, made with selfsigned on first start and reused afterwards.
 * @packageDocumentation
 */

/** Create or load ca.crt, ca.key, server.crt, server.key under the data dir's tls/. */
export { type DevCertificates, ensureDevCertificates, ensurePrivateDir } from './dev-certificates.js';
/** Validity periods and the names the server certificate covers. */
export { CA_VALIDITY_DAYS, SERVER_HOSTNAMES, SERVER_VALIDITY_DAYS } from './issue-certificates.js';
/** The terminal CA (tls/terminal-ca.crt, .key), separate from the server CA; made for new and older data dirs. */
export { ensureTerminalCa, loadTerminalCa, type TerminalCa } from './terminal-ca.js';
/** Terminal certificates (CN = terminal id, clientAuth), with a fresh key or for an ATM's own CSR. */
export {
  CsrError,
  certificateFingerprint,
  type IssuedTerminalCertificate,
  issueTerminalCertificate,
} from './terminal-certificates.js';
/** Thrown when the TLS files need an operator; `code` is TLS_FILES_INCOMPLETE or TLS_CERT_INVALID. */
export { TlsSetupError, type TlsSetupErrorCode } from './tls-setup-error.js';
/** Crash-safe file replacement with a fixed mode (used for keys and certificates). */
export { writeFileAtomic } from './write-file-atomic.js';
