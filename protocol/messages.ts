import { fromB64 } from './base64.js';
import {
  HISTORY_LIMIT_DEFAULT,
  HISTORY_LIMIT_MAX,
  MAX_EMAIL_CHARS,
  MAX_PASSWORD_CHARS,
  MAX_PHONE_CHARS,
  NONCE_BYTES,
  NOTICE_KINDS,
  type OPS,
  PROTOCOL_ID,
  REQUEST_ID_PATTERN,
  REVERSAL_REASONS,
  type ROLES,
  SESSION_ID_BYTES,
  TERMINAL_PATTERN,
  TOTP_CODE_PATTERN,
  TX_ID_PATTERN,
  USER_PATTERN,
  X25519_KEY_BYTES,
} from './constants.js';
import { type ErrorCode, fail, isWireErrorCode, ok, ProtocolError, type Result, type WireErrorCode } from './errors.js';

// ---------------------------------------------------------------------------------------
// Handshake
// ---------------------------------------------------------------------------------------

export type AuthMethod = 'password' | 'register';

export interface HelloAuth {
  method: AuthMethod;
  user: string;
  password: string;
  totp?: string;
}

export interface HelloMessage {
  type: 'hello';
  protocol: typeof PROTOCOL_ID;
  clientNonce: string;
  clientKey: string;
  terminal?: string;
  auth: HelloAuth;
}

/** A validated hello with its byte fields decoded. */
export interface ParsedHello {
  message: HelloMessage;
  clientNonce: Buffer;
  clientKey: Buffer;
}

export interface WelcomeMessage {
  type: 'welcome';
  protocol: typeof PROTOCOL_ID;
  serverNonce: string;
  serverKey: string;
  sessionId: string;
  user: string;
  /** Revision 2; a welcome without it (revision 1) is a customer session. */
  role?: Role;
  idleTimeoutSec: number;
}

export type Role = (typeof ROLES)[number];

export interface ParsedWelcome {
  message: WelcomeMessage;
  serverNonce: Buffer;
  serverKey: Buffer;
  sessionId: Buffer;
}

export interface ErrorFrame {
  type: 'error';
  code: WireErrorCode;
  message: string;
  /** With SERVER_BUSY and RATE_LIMITED: how long to wait before trying again. */
  retryAfterMs?: number;
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

export type Op = (typeof OPS)[number];
export type ReversalReason = (typeof REVERSAL_REASONS)[number];

export type RequestBody =
  | { op: 'balance' }
  | { op: 'deposit'; amountCents: number }
  | { op: 'withdraw'; amountCents: number }
  | { op: 'transfer'; amountCents: number; to: string }
  | { op: 'reverse'; txId: string; reason: ReversalReason }
  | { op: 'history'; limit?: number; before?: string }
  | { op: 'change_password'; current: string; new: string }
  | { op: 'update_contact'; email?: string; phone?: string }
  | { op: 'totp_enroll'; password?: string; totp?: string }
  | { op: 'totp_confirm'; code: string }
  | { op: 'totp_disable'; password: string; totp: string }
  | { op: 'logout' }
  | { op: 'ping' }
  | { op: 'serve'; user: string; password: string; totp?: string }
  | { op: 'release' }
  | { op: 'open_account'; user: string; password: string };

export type Request = RequestBody & { id: string };
export type RequestOf<O extends Op> = Extract<Request, { op: O }>;

// ---------------------------------------------------------------------------------------
// Responses and notices
// ---------------------------------------------------------------------------------------

export type HistoryKind = 'deposit' | 'withdrawal' | 'transfer_in' | 'transfer_out' | 'reversal';

export interface HistoryEntry {
  txId: string;
  kind: HistoryKind;
  amountCents: number;
  balanceAfterCents: number;
  counterparty: string | null;
  /** The terminal the entry was made at (revision 2), null for transfers and older entries. */
  terminal?: string | null;
  at: string;
}

/** The result each op returns on success. `replayed` is added to a replayed idempotent result. */
export interface ResultMap {
  balance: {
    balanceCents: number;
    currency: string;
    dailyWithdrawalRemainingCents: number;
    maxAmountCents: number;
    twoFactor: boolean;
  };
  deposit: { balanceCents: number; txId: string };
  withdraw: { balanceCents: number; txId: string };
  transfer: { balanceCents: number; txId: string };
  reverse: { balanceCents: number; txId: string; reversedTxId: string };
  history: { entries: HistoryEntry[]; next: string | null };
  change_password: Record<string, never>;
  update_contact: Record<string, never>;
  totp_enroll: { otpauthUri: string; secret: string };
  totp_confirm: Record<string, never>;
  totp_disable: Record<string, never>;
  logout: Record<string, never>;
  ping: { serverTime: string };
  serve: { user: string; balanceCents: number };
  release: Record<string, never>;
  open_account: { user: string };
}

export type OpResult<O extends Op> = ResultMap[O] & { replayed?: true };

/** Numbers that help the customer (§6); clients ignore fields they do not know. */
export interface WireErrorDetails {
  remainingCents?: number;
  maxAmountCents?: number;
  retryAfterMs?: number;
  reason?: 'USED';
}

export interface WireError extends WireErrorDetails {
  code: WireErrorCode;
  message: string;
}

export type Response =
  | { id: string | null; ok: true; result: Record<string, unknown> }
  | { id: string | null; ok: false; error: WireError };

export type NoticeKind = (typeof NOTICE_KINDS)[number];

export interface Notice {
  notice: NoticeKind;
  message: string;
}

// ---------------------------------------------------------------------------------------
// Field checks
// ---------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function onlyKeys(value: Obj, allowed: readonly string[]): string | null {
  for (const key of Object.keys(value)) if (!allowed.includes(key)) return key;
  return null;
}

function isString(value: unknown, pattern: RegExp): value is string {
  return typeof value === 'string' && pattern.test(value);
}

/** Integer cents: a safe integer ≥ 1 (the upper bound is the server's). */
export function isValidAmount(value: unknown, maxAmountCents = Number.MAX_SAFE_INTEGER): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1 && value <= maxAmountCents;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** JSON bytes → object, or null when the bytes are not UTF-8 JSON of an object. */
export function parseJsonObject(bytes: Uint8Array | string): Obj | null {
  let text: string;
  try {
    // Invalid UTF-8 is refused rather than silently replaced with U+FFFD.
    text = typeof bytes === 'string' ? bytes : STRICT_UTF8.decode(bytes);
  } catch {
    return null;
  }
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
}

const EMAIL_PATTERN = /^[^\s@]{1,64}@[^\s@]{1,189}\.[^\s@]{1,63}$/;
const PHONE_PATTERN = /^\+?[0-9][0-9 ()-]{3,19}$/;

// ---------------------------------------------------------------------------------------
// Handshake parsing
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

/** Parse a handshake answer: a welcome, or an error frame carried as a value. */
export function parseHandshakeReply(
  payload: Uint8Array | string,
): Result<{ kind: 'welcome'; welcome: ParsedWelcome } | { kind: 'error'; error: ErrorFrame }> {
  const value = parseJsonObject(payload);
  if (value?.type === 'error') {
    if (!isWireErrorCode(value.code) || typeof value.message !== 'string') {
      return fail('PROTOCOL_ERROR', 'error frame malformed');
    }
    const error: ErrorFrame = { type: 'error', code: value.code, message: value.message };
    if (isDetailNumber(value.retryAfterMs)) error.retryAfterMs = value.retryAfterMs;
    return ok({ kind: 'error', error });
  }
  const welcome = parseWelcome(payload);
  if (!welcome.ok) return welcome;
  return ok({ kind: 'welcome', welcome: welcome.value });
}

// ---------------------------------------------------------------------------------------
// Request parsing
// ---------------------------------------------------------------------------------------

export interface RequestLimits {
  /** Per-request maximum amount; above it is INVALID_AMOUNT. */
  maxAmountCents?: number;
}

/** A refused request: the id if one could be read (so the response can carry it), and the error. */
export interface RequestFault {
  id: string | null;
  error: ProtocolError;
}

type FieldCheck = (value: unknown, limits: Required<RequestLimits>) => ErrorCode | null;

const amountField: FieldCheck = (v, limits) => (isValidAmount(v, limits.maxAmountCents) ? null : 'INVALID_AMOUNT');
const requiredString =
  (pattern: RegExp): FieldCheck =>
  (v) =>
    isString(v, pattern) ? null : 'INVALID_REQUEST';
const passwordField: FieldCheck = (v) =>
  typeof v === 'string' && v.length >= 1 && v.length <= MAX_PASSWORD_CHARS ? null : 'INVALID_REQUEST';

interface OpSpec {
  required: Record<string, FieldCheck>;
  optional: Record<string, FieldCheck>;
}

const txIdField = requiredString(TX_ID_PATTERN);

/** Every op with its fields: one table, read by the parser and by the tests. */
export const OP_SPECS: Readonly<Record<Op, OpSpec>> = {
  balance: { required: {}, optional: {} },
  deposit: { required: { amountCents: amountField }, optional: {} },
  withdraw: { required: { amountCents: amountField }, optional: {} },
  transfer: { required: { amountCents: amountField, to: requiredString(USER_PATTERN) }, optional: {} },
  reverse: {
    required: {
      txId: txIdField,
      reason: (v) => ((REVERSAL_REASONS as readonly unknown[]).includes(v) ? null : 'INVALID_REQUEST'),
    },
    optional: {},
  },
  history: {
    required: {},
    optional: {
      limit: (v) =>
        typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= HISTORY_LIMIT_MAX ? null : 'INVALID_REQUEST',
      before: txIdField,
    },
  },
  change_password: { required: { current: passwordField, new: passwordField }, optional: {} },
  update_contact: {
    required: {},
    optional: {
      email: (v) =>
        typeof v === 'string' && v.length <= MAX_EMAIL_CHARS && EMAIL_PATTERN.test(v) ? null : 'INVALID_REQUEST',
      phone: (v) =>
        typeof v === 'string' && v.length <= MAX_PHONE_CHARS && PHONE_PATTERN.test(v) ? null : 'INVALID_REQUEST',
    },
  },
  // Revision 2: re-enrolment needs the password (and the current code when two-factor is on, §5.1).
  totp_enroll: { required: { password: passwordField }, optional: { totp: requiredString(TOTP_CODE_PATTERN) } },
  totp_confirm: { required: { code: requiredString(TOTP_CODE_PATTERN) }, optional: {} },
  totp_disable: {
    required: { password: passwordField, totp: requiredString(TOTP_CODE_PATTERN) },
    optional: {},
  },
  logout: { required: {}, optional: {} },
  ping: { required: {}, optional: {} },
  serve: {
    required: { user: requiredString(USER_PATTERN), password: passwordField },
    optional: { totp: requiredString(TOTP_CODE_PATTERN) },
  },
  release: { required: {}, optional: {} },
  open_account: { required: { user: requiredString(USER_PATTERN), password: passwordField }, optional: {} },
};

function isOp(value: unknown): value is Op {
  return typeof value === 'string' && Object.hasOwn(OP_SPECS, value);
}

/**
 * Validate a decrypted request. Faults are values: INVALID_REQUEST for shape, INVALID_AMOUNT
 * for money, with the id when it was readable.
 */
export function parseRequest(payload: Uint8Array | string, limits: RequestLimits = {}): Result<Request, RequestFault> {
  const full: Required<RequestLimits> = { maxAmountCents: limits.maxAmountCents ?? Number.MAX_SAFE_INTEGER };
  const value = parseJsonObject(payload);
  if (!value) return refuse(null, 'INVALID_REQUEST', 'request is not a JSON object');
  const id = isString(value.id, REQUEST_ID_PATTERN) ? value.id : null;
  if (id === null) return refuse(null, 'INVALID_REQUEST', 'id must be 1-64 chars of [A-Za-z0-9_-]');
  if (!isOp(value.op)) return refuse(id, 'INVALID_REQUEST', 'unknown op');
  const spec = OP_SPECS[value.op];
  for (const key of Object.keys(value)) {
    if (key === 'id' || key === 'op') continue;
    if (!Object.hasOwn(spec.required, key) && !Object.hasOwn(spec.optional, key)) {
      return refuse(id, 'INVALID_REQUEST', `unexpected field for ${value.op}`);
    }
  }
  for (const [key, check] of Object.entries(spec.required)) {
    if (!Object.hasOwn(value, key)) return refuse(id, 'INVALID_REQUEST', `${value.op} needs ${key}`);
    const code = check(value[key], full);
    if (code) return refuse(id, code, code === 'INVALID_AMOUNT' ? undefined : `${key} is malformed`);
  }
  for (const [key, check] of Object.entries(spec.optional)) {
    if (!Object.hasOwn(value, key)) continue;
    const code = check(value[key], full);
    if (code) return refuse(id, code, `${key} is malformed`);
  }
  return ok(value as unknown as Request);
}

function refuse(id: string | null, code: ErrorCode, message?: string): { ok: false; error: RequestFault } {
  return { ok: false, error: { id, error: new ProtocolError(code, message) } };
}

/** The `limit` a history request asks for, with the protocol default. */
export function historyLimit(request: RequestOf<'history'>): number {
  return request.limit ?? HISTORY_LIMIT_DEFAULT;
}

/** The params of a request (everything but `id`), in a canonical key order, for idempotency hashes. */
export function canonicalRequestParams(request: Request): string {
  const { id: _id, ...params } = request;
  const sorted: Obj = {};
  for (const key of Object.keys(params).sort()) sorted[key] = (params as Obj)[key];
  return JSON.stringify(sorted);
}

// ---------------------------------------------------------------------------------------
// Server → client messages (parsed by clients)
// ---------------------------------------------------------------------------------------

export type ServerMessage = { kind: 'response'; response: Response } | { kind: 'notice'; notice: Notice };

/** Validate a decrypted server message: a response or a notice. */
export function parseServerMessage(payload: Uint8Array | string): Result<ServerMessage> {
  const value = parseJsonObject(payload);
  if (!value) return fail('PROTOCOL_ERROR', 'server message is not a JSON object');
  if ('notice' in value) {
    if (!(NOTICE_KINDS as readonly unknown[]).includes(value.notice) || typeof value.message !== 'string') {
      return fail('PROTOCOL_ERROR', 'notice malformed');
    }
    return ok({ kind: 'notice', notice: { notice: value.notice as NoticeKind, message: value.message } });
  }
  const id = value.id;
  if (id !== null && !isString(id, REQUEST_ID_PATTERN)) return fail('PROTOCOL_ERROR', 'response id malformed');
  if (value.ok === true) {
    if (!isObject(value.result)) return fail('PROTOCOL_ERROR', 'response result malformed');
    return ok({ kind: 'response', response: { id, ok: true, result: value.result } });
  }
  if (value.ok === false) {
    const error = value.error;
    if (!isObject(error) || !isWireErrorCode(error.code) || typeof error.message !== 'string') {
      return fail('PROTOCOL_ERROR', 'response error malformed');
    }
    return ok({ kind: 'response', response: { id, ok: false, error: wireErrorOf(error.code, error.message, error) } });
  }
  return fail('PROTOCOL_ERROR', 'response must say ok true or false');
}

function isDetailNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Keep the known detail fields of an error object (§6); anything else is ignored. */
function wireErrorOf(code: WireErrorCode, message: string, raw: Obj): WireError {
  const error: WireError = { code, message };
  if (isDetailNumber(raw.remainingCents)) error.remainingCents = raw.remainingCents;
  if (isDetailNumber(raw.maxAmountCents)) error.maxAmountCents = raw.maxAmountCents;
  if (isDetailNumber(raw.retryAfterMs)) error.retryAfterMs = raw.retryAfterMs;
  if (raw.reason === 'USED') error.reason = 'USED';
  return error;
}
