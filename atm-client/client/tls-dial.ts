import { isIP } from 'node:net';
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { DEFAULT_CA_PATH, loadCa } from './ca-source.js';
import { clientError, failure } from './client-errors.js';
import { type FrameLink, StreamFrameLink } from './frame-link.js';
import type { ClientError, Outcome } from './types.js';

export interface DialTarget {
  host: string;
  port: number;
  ca?: string | Buffer;
  /** The terminal certificate and key (PEM) presented to the server; absent = remote session. */
  clientCert?: { cert: string | Buffer; key: string | Buffer };
  dangerouslySkipCertificateVerification?: boolean;
  timeoutMs: number;
}

/** Opens a framed link to the bank. Injected into the connector so the session logic never touches sockets. */
export type Dialer = (target: DialTarget) => Promise<Outcome<FrameLink>>;

// OpenSSL's X.509 verification results, as node reports them in `error.code`.
const CERT_ERROR_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

// The chain does not lead to the CA the client trusts: almost always a --ca for another bank.
const NOT_SIGNED_BY_CA = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

/** "the server's certificate is not signed by ./bank-data/tls/ca.crt: check --ca", for the codes above. */
export function explainUntrustedServer(error: Error, ca: string | Buffer | undefined): ClientError | null {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (!NOT_SIGNED_BY_CA.has(code)) return null;
  const name =
    typeof ca === 'string' && !ca.includes('-----BEGIN') ? ca : ca === undefined ? DEFAULT_CA_PATH : 'the given CA';
  return clientError('TLS_ERROR', `the server's certificate is not signed by ${name}: check --ca (${code})`);
}

type Phase = 'tcp' | 'tls' | 'open';

/** Which client code a socket error means, given how far the connection got. */
export function classifySocketError(error: Error, phase: Phase): ClientError {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  const detail = code ? `${code}: ${error.message}` : error.message;
  if (CERT_ERROR_CODES.has(code) || code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS')) {
    return clientError('TLS_ERROR', `TLS failed: ${detail}`);
  }
  if (phase === 'tcp') return clientError('CONNECT_FAILED', `could not connect: ${detail}`);
  if (phase === 'tls') return clientError('TLS_ERROR', `TLS handshake failed: ${detail}`);
  return clientError('CONNECTION_LOST', `connection lost: ${detail}`);
}

/** TLS 1.3 only, the server certificate checked against the CA and the host name (or IP SAN). */
export const dialTls: Dialer = (target) => {
  const skipVerify = target.dangerouslySkipCertificateVerification === true;
  const options: ConnectionOptions = {
    host: target.host,
    port: target.port,
    minVersion: 'TLSv1.3',
    rejectUnauthorized: !skipVerify,
  };
  if (target.clientCert) {
    options.cert = target.clientCert.cert;
    options.key = target.clientCert.key;
  }
  if (!skipVerify) {
    const ca = loadCa(target.ca);
    if (!ca.ok) return Promise.resolve(failure('TLS_ERROR', ca.message));
    options.ca = ca.pem;
  }
  // SNI may not carry an IP address (RFC 6066); for an IP host node checks the IP SANs instead.
  if (isIP(target.host) === 0) options.servername = target.host;

  return new Promise((resolve) => {
    let phase: Phase = 'tcp';
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const settle = (outcome: Outcome<FrameLink>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    let socket: TLSSocket;
    try {
      socket = tlsConnect(options);
    } catch (error) {
      settle({ ok: false, error: classifySocketError(error as Error, 'tcp') });
      return;
    }
    timer = setTimeout(() => {
      socket.destroy();
      settle(failure('TIMEOUT', `no secure connection to ${target.host}:${target.port} within ${target.timeoutMs} ms`));
    }, target.timeoutMs);
    socket.once('connect', () => {
      phase = 'tls';
    });
    const onEarlyError = (error: Error): void => {
      socket.destroy();
      settle({ ok: false, error: explainUntrustedServer(error, target.ca) ?? classifySocketError(error, phase) });
    };
    socket.once('error', onEarlyError);
    socket.once('close', () => settle(failure(phase === 'tcp' ? 'CONNECT_FAILED' : 'TLS_ERROR')));
    socket.once('secureConnect', () => {
      phase = 'open';
      socket.removeListener('error', onEarlyError);
      socket.setNoDelay(true);
      settle({ ok: true, value: new StreamFrameLink(socket, (error) => classifySocketError(error, 'open')) });
    });
  });
};
