import { ERROR_MESSAGES, isWireErrorCode } from '../../protocol/index.js';
import type { ClientError, ClientErrorCode, ClientErrorDetails, ClientOnlyCode } from './types.js';

/** Default words for the codes only the client reports. */
export const CLIENT_ERROR_MESSAGES: Readonly<Record<ClientOnlyCode, string>> = {
  CONNECTION_LOST: 'the connection to the bank was lost',
  CONNECT_FAILED: 'could not connect to the bank',
  TLS_ERROR: 'the secure connection to the bank could not be set up',
  TIMEOUT: 'the bank did not answer in time',
  SESSION_EXPIRED: 'the session expired',
  SERVER_SHUTDOWN: 'the bank server is shutting down',
  BAD_SERVER_MESSAGE: 'the bank sent a message that breaks the protocol',
  SESSION_CLOSED: 'the session is closed',
};

/** The plain-words default for any code the library reports. */
export function defaultMessage(code: ClientErrorCode): string {
  return isWireErrorCode(code) ? ERROR_MESSAGES[code] : CLIENT_ERROR_MESSAGES[code];
}

export function clientError(code: ClientErrorCode, message?: string, requestId?: string): ClientError {
  const error: ClientError = { code, message: message ?? defaultMessage(code) };
  if (requestId !== undefined) error.requestId = requestId;
  return error;
}

export function failure(
  code: ClientErrorCode,
  message?: string,
  requestId?: string,
): { ok: false; error: ClientError } {
  return { ok: false, error: clientError(code, message, requestId) };
}

/** A server's error object as the caller sees it: code, message and the detail fields it carried. */
export function fromWireError(wire: { code: ClientErrorCode; message: string } & ClientErrorDetails): ClientError {
  const error: ClientError = { code: wire.code, message: wire.message };
  if (wire.remainingCents !== undefined) error.remainingCents = wire.remainingCents;
  if (wire.maxAmountCents !== undefined) error.maxAmountCents = wire.maxAmountCents;
  if (wire.retryAfterMs !== undefined) error.retryAfterMs = wire.retryAfterMs;
  if (wire.reason !== undefined) error.reason = wire.reason;
  return error;
}
