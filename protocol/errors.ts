/**
 * One error table for the whole protocol. Wire codes (protocol/README.md §6) may travel in
 * `error` frames and responses; internal codes describe a broken connection and are
 * never sent (the receiver closes instead).
 */

/** Codes a peer may see on the wire, with the default message sent for each. */
export const WIRE_ERRORS = {
  AUTH_FAILED: 'user name or password is wrong',
  ACCOUNT_LOCKED: 'account locked after too many failed logins; ask the bank to unlock it',
  TOTP_REQUIRED: 'a two-factor code is required',
  TOTP_INVALID: 'the two-factor code is wrong',
  RATE_LIMITED: 'too many attempts from this address; try again later',
  REGISTRATION_CLOSED: 'registration is closed',
  USER_EXISTS: 'that user name is taken',
  WEAK_PASSWORD: 'password needs at least 12 characters with upper, lower, digit and symbol',
  UNSUPPORTED_PROTOCOL: 'unsupported protocol; expected secure-atm/1',
  PROTOCOL_ERROR: 'malformed handshake',
  INVALID_REQUEST: 'malformed request',
  INVALID_AMOUNT: 'amount must be a whole number of cents within limits',
  INSUFFICIENT_FUNDS: 'balance too low',
  LIMIT_EXCEEDED: 'daily withdrawal limit reached',
  UNKNOWN_ACCOUNT: 'no such account',
  SAME_ACCOUNT: 'cannot transfer to the same account',
  UNKNOWN_TX: 'no such withdrawal on this account',
  NOT_REVERSIBLE: 'that withdrawal can no longer be reversed',
  IDEMPOTENCY_CONFLICT: 'request id already used for a different request',
  FRAUD_HOLD: 'request held for review',
  SERVER_BUSY: 'server busy; retry later with the same id',
  TERMINAL_REQUIRED: 'cash moves only at an enrolled terminal',
  TERMINAL_REFUSED: 'terminal certificate refused',
  TERMINAL_OUT_OF_CASH: 'this terminal does not hold enough cash',
  NOT_SERVING: 'serve a customer first',
  INTERNAL: 'internal error; the request was not applied',
} as const;

/** Codes for a broken connection; never sent, the receiver closes and audits the cause. */
export const INTERNAL_ERRORS = {
  FRAME_EMPTY: 'frame length 0',
  FRAME_TOO_LARGE: 'frame length above 65536',
  BAD_ENVELOPE: 'sealed envelope is malformed',
  SEQUENCE_ERROR: 'unexpected sequence number',
  INTEGRITY_FAILURE: 'message authentication failed',
  SEQ_EXHAUSTED: 'sequence numbers exhausted; the session must end',
  KEY_EXCHANGE_FAILED: 'key exchange produced an all-zero secret',
  CHANNEL_CLOSED: 'channel keys were wiped',
} as const;

export type WireErrorCode = keyof typeof WIRE_ERRORS;
export type InternalErrorCode = keyof typeof INTERNAL_ERRORS;
export type ErrorCode = WireErrorCode | InternalErrorCode;

export const ERROR_MESSAGES: Readonly<Record<ErrorCode, string>> = { ...WIRE_ERRORS, ...INTERNAL_ERRORS };

/** True when `code` is one a peer may receive on the wire. */
export function isWireErrorCode(code: unknown): code is WireErrorCode {
  return typeof code === 'string' && Object.hasOwn(WIRE_ERRORS, code);
}

/** The one base error: a stable `code`, a message meant for people, never a secret. */
export class ProtocolError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message?: string) {
    super(message ?? ERROR_MESSAGES[code]);
    this.name = 'ProtocolError';
    this.code = code;
  }

  /** The `{ code, message }` object that a response or error frame carries. */
  toWire(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/**
 * A refusal as a plain value: the `{ code, message }` a response's error carries. Used on
 * the hot path (every refused request) where building an Error and its stack trace would
 * cost several times the parse itself.
 */
export interface Refusal {
  readonly code: WireErrorCode;
  readonly message: string;
}

export function refusal(code: WireErrorCode, message?: string): Refusal {
  return { code, message: message ?? WIRE_ERRORS[code] };
}

/** An outcome as a value: callers switch on `ok`, nothing is thrown. */
export type Result<T, E = ProtocolError> = { ok: true; value: T } | { ok: false; error: E };

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail(code: ErrorCode, message?: string): { ok: false; error: ProtocolError } {
  return { ok: false, error: new ProtocolError(code, message) };
}
