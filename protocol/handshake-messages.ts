/**
 * The plaintext handshake frames (protocol/README.md §2): `hello`, `welcome` and `error`, each
 * with its encoder beside its parser. Encoders return the exact payload bytes, because the
 * key schedule hashes the bytes as they cross the wire; key order is the one protocol/README.md shows.
 */
import { fromB64, toB64 } from './base64.js';
import {
  MAX_PASSWORD_CHARS,
  NONCE_BYTES,
  PROTOCOL_ID,
  SESSION_ID_BYTES,
  TERMINAL_PATTERN,
  TOTP_CODE_PATTERN,
  USER_PATTERN,
  X25519_KEY_BYTES,
} from './constants.js';
import { fail, isWireErrorCode, ok, type Result, WIRE_ERRORS, type WireErrorCode } from './errors.js';
import { isDetailNumber, isObject, isString, onlyKeys, parseJsonObject } from './json-fields.js';
import type {
  ErrorFrame,
  HelloAuth,
  HelloMessage,
  ParsedHello,
  ParsedWelcome,
  Role,
  WelcomeMessage,
} from './message-types.js';

// ---------------------------------------------------------------------------------------
// Encoders
// ---------------------------------------------------------------------------------------

export interface HelloFields {
  clientNonce: Uint8Array;
  clientKey: Uint8Array;
  terminal?: string | undefined;
  auth: HelloAuth;
}

/** The hello payload. The caller wipes the returned bytes once sent: they hold the password. */
export function encodeHello(fields: HelloFields): Buffer {
  const { method, user, password, totp } = fields.auth;
  const hello: HelloMessage = {
    type: 'hello',
    protocol: PROTOCOL_ID,
    clientNonce: toB64(fields.clientNonce),
    clientKey: toB64(fields.clientKey),
    ...(fields.terminal === undefined ? {} : { terminal: fields.terminal }),
    auth: { method, user, password, ...(totp === undefined ? {} : { totp }) },
  };
  return Buffer.from(JSON.stringify(hello), 'utf8');
}

export interface WelcomeFields {
  serverNonce: Uint8Array;
  serverKey: Uint8Array;
  sessionId: Uint8Array;
  user: string;
  /** Revision 2; omitted, the welcome reads as revision 1 (a customer session). */
  role?: Role | undefined;
  idleTimeoutSec: number;
}

/** The welcome payload. */
export function encodeWelcome(fields: WelcomeFields): Buffer {
  const welcome: WelcomeMessage = {
    type: 'welcome',
    protocol: PROTOCOL_ID,
    serverNonce: toB64(fields.serverNonce),
    serverKey: toB64(fields.serverKey),
    sessionId: toB64(fields.sessionId),
    user: fields.user,
    ...(fields.role === undefined ? {} : { role: fields.role }),
    idleTimeoutSec: fields.idleTimeoutSec,
  };
  return Buffer.from(JSON.stringify(welcome), 'utf8');
}

export interface ErrorFrameOptions {
  /** Defaults to the code's message in the error table. */
  message?: string | undefined;
  /** With SERVER_BUSY and RATE_LIMITED (§2.1, §6). */
  retryAfterMs?: number | undefined;
  /** With TOTP_INVALID when the code was already used (§7.7). */
  reason?: 'USED' | undefined;
}

/** The `error` frame that answers a handshake (or a connection over a cap) before the server closes. */
export function encodeErrorFrame(code: WireErrorCode, options: ErrorFrameOptions = {}): Buffer {
  const frame: ErrorFrame = { type: 'error', code, message: options.message ?? WIRE_ERRORS[code] };
  if (options.retryAfterMs !== undefined) frame.retryAfterMs = options.retryAfterMs;
  if (options.reason !== undefined) frame.reason = options.reason;
  return Buffer.from(JSON.stringify(frame), 'utf8');
}

// ---------------------------------------------------------------------------------------
// Parsers
// ---------------------------------------------------------------------------------------

/** Validate the first frame's payload. Any fault is PROTOCOL_ERROR, a wrong protocol UNSUPPORTED_PROTOCOL. */
export function parseHello(payload: Uint8Array | string): Result<ParsedHello> {
  const value = parseJsonObject(payload);
  if (!value) return fail('PROTOCOL_ERROR', 'hello is not a JSON object');
  if (value.type !== 'hello') return fail('PROTOCOL_ERROR', 'first frame must be hello');
  if (value.protocol !== PROTOCOL_ID) {
    return typeof value.protocol === 'string'
      ? fail('UNSUPPORTED_PROTOCOL')
      : fail('PROTOCOL_ERROR', 'hello.protocol missing');
  }
  const extra = onlyKeys(value, ['type', 'protocol', 'clientNonce', 'clientKey', 'terminal', 'auth']);
  if (extra) return fail('PROTOCOL_ERROR', `unexpected hello field ${JSON.stringify(extra).slice(0, 40)}`);
  const clientNonce = fromB64(value.clientNonce, NONCE_BYTES);
  if (!clientNonce) return fail('PROTOCOL_ERROR', 'clientNonce must be base64 of 32 bytes');
  const clientKey = fromB64(value.clientKey, X25519_KEY_BYTES);
  if (!clientKey) return fail('PROTOCOL_ERROR', 'clientKey must be base64 of 32 bytes');
  if (value.terminal !== undefined && !isString(value.terminal, TERMINAL_PATTERN)) {
    return fail('PROTOCOL_ERROR', 'terminal must be 1-32 chars of [A-Za-z0-9_-]');
  }
  const auth = value.auth;
  if (!isObject(auth)) return fail('PROTOCOL_ERROR', 'hello.auth missing');
  const authExtra = onlyKeys(auth, ['method', 'user', 'password', 'totp']);
  if (authExtra) return fail('PROTOCOL_ERROR', `unexpected auth field ${JSON.stringify(authExtra).slice(0, 40)}`);
  if (auth.method !== 'password' && auth.method !== 'register') {
    return fail('PROTOCOL_ERROR', 'auth.method must be password or register');
  }
  if (!isString(auth.user, USER_PATTERN)) {
    return fail('PROTOCOL_ERROR', 'auth.user must be 3-32 chars of [a-z0-9_.-] starting with a letter');
  }
  if (typeof auth.password !== 'string' || auth.password.length < 1 || auth.password.length > MAX_PASSWORD_CHARS) {
    return fail('PROTOCOL_ERROR', 'auth.password must be a non-empty string');
  }
  if (auth.totp !== undefined && !isString(auth.totp, TOTP_CODE_PATTERN)) {
    return fail('PROTOCOL_ERROR', 'auth.totp must be 6 digits');
  }
  return ok({ message: value as unknown as HelloMessage, clientNonce, clientKey });
}

/** Validate a welcome (client side). */
export function parseWelcome(payload: Uint8Array | string): Result<ParsedWelcome> {
  const value = parseJsonObject(payload);
  if (value?.type !== 'welcome') return fail('PROTOCOL_ERROR', 'expected welcome');
  if (value.protocol !== PROTOCOL_ID) return fail('UNSUPPORTED_PROTOCOL');
  const serverNonce = fromB64(value.serverNonce, NONCE_BYTES);
  const serverKey = fromB64(value.serverKey, X25519_KEY_BYTES);
  const sessionId = fromB64(value.sessionId, SESSION_ID_BYTES);
  if (!serverNonce || !serverKey || !sessionId) return fail('PROTOCOL_ERROR', 'welcome key material malformed');
  if (!isString(value.user, USER_PATTERN)) return fail('PROTOCOL_ERROR', 'welcome.user malformed');
  if (value.role !== undefined && value.role !== 'customer' && value.role !== 'teller') {
    return fail('PROTOCOL_ERROR', 'welcome.role malformed');
  }
  const idle = value.idleTimeoutSec;
  if (typeof idle !== 'number' || !Number.isSafeInteger(idle) || idle < 1) {
    return fail('PROTOCOL_ERROR', 'welcome.idleTimeoutSec malformed');
  }
  return ok({ message: value as unknown as WelcomeMessage, serverNonce, serverKey, sessionId });
}

export type HandshakeReply = { kind: 'welcome'; welcome: ParsedWelcome } | { kind: 'error'; error: ErrorFrame };

/** Parse a handshake answer: a welcome, or an error frame carried as a value. */
export function parseHandshakeReply(payload: Uint8Array | string): Result<HandshakeReply> {
  const value = parseJsonObject(payload);
  if (value?.type === 'error') {
    if (!isWireErrorCode(value.code) || typeof value.message !== 'string') {
      return fail('PROTOCOL_ERROR', 'error frame malformed');
    }
    const error: ErrorFrame = { type: 'error', code: value.code, message: value.message };
    if (isDetailNumber(value.retryAfterMs)) error.retryAfterMs = value.retryAfterMs;
    if (value.reason === 'USED') error.reason = 'USED';
    return ok({ kind: 'error', error });
  }
  const welcome = parseWelcome(payload);
  if (!welcome.ok) return welcome;
  return ok({ kind: 'welcome', welcome: welcome.value });
}
